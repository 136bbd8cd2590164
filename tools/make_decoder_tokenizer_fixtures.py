"""Writes Tests/TokenizersTests/Fixtures/decoder-tokenizers/: tiny decoder-LLM tokenizers trained
on the real sample, and token ids from Hugging Face for texts of the sample and edge cases, for
the Swift ByteLevelBPETokenizer and SentencePieceTokenizer (decoder framing).

No real Llama-3 / Qwen2 / Llama-2 / Gemma tokenizer can be downloaded here, so each is imitated by
a small one trained on the sample with the same pipeline settings as the real files:

- llama3/: byte-level BPE (tokenizers' BpeTrainer, 800 tokens) with Llama-3's pre-tokenizer
  Sequence[Split(Regex(Llama-3 pattern), Isolated), ByteLevel(add_prefix_space=False,
  use_regex=False)], no normalizer, ignore_merges, the special tokens <|begin_of_text|>,
  <|end_of_text|>, <|start_header_id|>, <|end_header_id|>, <|eot_id|> and a TemplateProcessing
  that puts <|begin_of_text|> first, saved by PreTrainedTokenizerFast.save_pretrained
  (tokenizer.json, tokenizer_config.json, special_tokens_map.json).
- qwen2/: the same with Qwen2's pattern, an NFC normalizer, <|endoftext|>, <|im_start|>,
  <|im_end|>, no bos and no template (Qwen2 adds no special tokens).
- gpt2/: GPT-2's plain ByteLevel(add_prefix_space=False, use_regex=True) pre-tokenizer, and added
  tokens that exercise lstrip / rstrip / single_word / normalized (as RoBERTa's <mask>).
- llama2/: a SentencePiece BPE model with byte fallback, Llama-2's trainer settings (identity
  normalisation, dummy prefix, no whitespace removal, split digits; <unk> 0, <s> 1, </s> 2),
  saved by LlamaTokenizer.save_pretrained (tokenizer.model, tokenizer_config.json,
  special_tokens_map.json) and LlamaTokenizerFast (tokenizer.json: the Metaspace/byte-fallback
  BPE that arena reads through tokenizer.model instead).
- gemma/: a SentencePiece BPE model with Gemma's settings (no dummy prefix; <pad> 0, <eos> 1,
  <bos> 2, <unk> 3, <start_of_turn>, <end_of_turn> user-defined), saved by GemmaTokenizer.
- ids.json: the texts, and for every tokenizer `tokenizer(text, add_special_tokens=False)`
  ids of every text (byte-level: the fast tokenizer; llama2 / gemma: the slow LlamaTokenizer,
  legacy=True as 4.40.2 defaults, and GemmaTokenizer; llama2_nonlegacy: LlamaTokenizer with
  legacy=False on the same folder), plus the ids with add_special_tokens=True of two texts.

Run: .venv/bin/python tools/make_decoder_tokenizer_fixtures.py
     .venv/bin/python tools/make_decoder_tokenizer_fixtures.py --keep-tokenizers
The second form trains nothing and rewrites ids.json from the committed tokenizer folders.
Retraining gives the same files byte for byte except the tokenizer.model files, which record the
temporary corpus path (same pieces and scores).
Pinned: transformers 4.40.2, tokenizers 0.19.1, sentencepiece 0.1.99, protobuf 4.25.3
(tools/requirements.txt). CPU, one thread; no torch.
"""
import csv
import json
import os
import pathlib
import shutil
import sys
import tempfile

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import sentencepiece  # noqa: E402
import tokenizers  # noqa: E402
import transformers  # noqa: E402
from tokenizers import decoders, models, normalizers, pre_tokenizers, processors, trainers  # noqa: E402

assert transformers.__version__ == "4.40.2", transformers.__version__
assert tokenizers.__version__ == "0.19.1", tokenizers.__version__
assert sentencepiece.__version__ == "0.1.99", sentencepiece.__version__

ROOT = pathlib.Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared/data/arena-sample/train.csv"
OUT = ROOT / "Tests/TokenizersTests/Fixtures/decoder-tokenizers"

# The patterns of the released tokenizer.json files (meta-llama/Meta-Llama-3-8B, Qwen/Qwen2-7B).
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")

# ---- texts -----------------------------------------------------------------------------------
corpus = []
with open(SAMPLE, newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        for column in ("prompt", "response_a", "response_b"):
            turns = [t for t in json.loads(row[column]) if t]
            if turns:
                corpus.append("\n\n".join(turns))

texts = [t[:200] for t in corpus[:12]]
texts += [t[:200] for t in corpus[12:] if not t.isascii()][:4]
texts += [t[:400] for t in corpus[12:] if "```" in t][:2]
texts += [t[:1200] for t in corpus[12:] if len(t) > 1200][:1]
texts += [
    "", " ", "     ", "  leading and trailing  ", "\n\n", "a\n\n\nb\n \n", "\t\ttabs\tinside\t", "1234567 and 3.14159",
    "I'm you'll WE'RE they'D It's", "😀🚀 emoji 👨‍👩‍👧 family", "你好，世界！日本語のテキスト", "Café naïve résumé",
    "Cafe\u0301 nai\u0308ve (NFD)", "a<|eot_id|>b <|begin_of_text|> <|start_header_id|>user<|end_header_id|>",
    "<|im_start|>user\nhi<|im_end|>\n<|endoftext|>", "<s> x </s><unk><bos><eos><pad> <start_of_turn>model",
    "tell me <mask> now<mask>, [NEW] or a [NEW]b, <sep>  x", "x" * 300, "supercalifragilisticexpialidocious" * 3,
    "\u00a0no-break\u3000ideographic\u2028line\u0085next\x0bvt", "$100 + 5% = <tag> ^_^ ~ | `code`",
    "def f(x):\n    return x ** 2  # comment\n\n\n\n        indented",
]
print(f"{len(texts)} texts")

SEED_TEXTS = corpus  # every prompt and response of the sample


def train_byte_level(pattern, normalizer, specials, added, template):
    if pattern is None:
        pre = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        pre = pre_tokenizers.Sequence([
            pre_tokenizers.Split(tokenizers.Regex(pattern), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
    tokenizer = tokenizers.Tokenizer(models.BPE(ignore_merges=pattern is not None and normalizer is None))
    if normalizer is not None:
        tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=800, min_frequency=2, show_progress=False, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(SEED_TEXTS, trainer=trainer)
    if added:
        tokenizer.add_tokens(added)
    byte_level = processors.ByteLevel(trim_offsets=False)
    if template:
        bos = specials[0]
        tokenizer.post_processor = processors.Sequence([byte_level, processors.TemplateProcessing(
            single=f"{bos}:0 $A:0", pair=f"{bos}:0 $A:0 {bos}:1 $B:1", special_tokens=[(bos, tokenizer.token_to_id(bos))])])
    else:
        tokenizer.post_processor = byte_level
    return tokenizer


def save_fast(tokenizer, folder, **special):
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tokenizer, **special)
    fast.save_pretrained(str(folder))


def train_sentencepiece(folder, prefix, **settings):
    with tempfile.TemporaryDirectory() as tmp:
        corpus_file = pathlib.Path(tmp) / "corpus.txt"
        corpus_file.write_text("\n".join(t.replace("\n", " ") for t in SEED_TEXTS), encoding="utf-8")
        sentencepiece.SentencePieceTrainer.train(
            input=str(corpus_file), model_prefix=str(pathlib.Path(tmp) / prefix), model_type="bpe", vocab_size=600,
            character_coverage=0.995, byte_fallback=True, split_digits=True, normalization_rule_name="identity",
            remove_extra_whitespaces=False, allow_whitespace_only_pieces=True, num_threads=1,
            input_sentence_size=1000000, shuffle_input_sentence=False, minloglevel=2, **settings)
        return pathlib.Path(tmp, prefix + ".model").read_bytes()


def train_all():
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    llama3 = train_byte_level(LLAMA3_PATTERN, None, ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                                                     "<|end_header_id|>", "<|eot_id|>"], [], template=True)
    save_fast(llama3, OUT / "llama3", bos_token="<|begin_of_text|>", eos_token="<|eot_id|>")
    qwen2 = train_byte_level(QWEN2_PATTERN, normalizers.NFC(), ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], [],
                             template=False)
    save_fast(qwen2, OUT / "qwen2", eos_token="<|im_end|>", pad_token="<|endoftext|>")
    gpt2 = train_byte_level(None, None, ["<|endoftext|>"], [
        tokenizers.AddedToken("<mask>", lstrip=True, rstrip=False, special=True, normalized=False),
        tokenizers.AddedToken("[NEW]", single_word=True, normalized=True),
        tokenizers.AddedToken("<sep>", rstrip=True, normalized=False),
    ], template=False)
    save_fast(gpt2, OUT / "gpt2", bos_token="<|endoftext|>", eos_token="<|endoftext|>")

    with tempfile.TemporaryDirectory() as tmp:
        model = pathlib.Path(tmp) / "tokenizer.model"
        model.write_bytes(train_sentencepiece(OUT, "llama2", add_dummy_prefix=True, unk_id=0, bos_id=1, eos_id=2,
                                              pad_id=-1))
        transformers.LlamaTokenizer(vocab_file=str(model), legacy=True).save_pretrained(str(OUT / "llama2"))
        transformers.LlamaTokenizerFast(vocab_file=str(model), legacy=True, from_slow=True).save_pretrained(
            str(OUT / "llama2"))
        model.write_bytes(train_sentencepiece(OUT, "gemma", add_dummy_prefix=False, pad_id=0, eos_id=1, bos_id=2,
                                              unk_id=3, pad_piece="<pad>", eos_piece="<eos>", bos_piece="<bos>",
                                              unk_piece="<unk>", user_defined_symbols="<start_of_turn>,<end_of_turn>"))
        transformers.GemmaTokenizer(vocab_file=str(model)).save_pretrained(str(OUT / "gemma"))


if sys.argv[1:] == ["--keep-tokenizers"]:
    print("keeping the committed tokenizer folders")
elif sys.argv[1:]:
    sys.exit("usage: make_decoder_tokenizer_fixtures.py [--keep-tokenizers]")
else:
    train_all()

loaded = {
    "llama3": transformers.PreTrainedTokenizerFast.from_pretrained(str(OUT / "llama3")),
    "qwen2": transformers.PreTrainedTokenizerFast.from_pretrained(str(OUT / "qwen2")),
    "gpt2": transformers.PreTrainedTokenizerFast.from_pretrained(str(OUT / "gpt2")),
    "llama2": transformers.LlamaTokenizer.from_pretrained(str(OUT / "llama2"), legacy=True),
    # The newer behaviour that many Llama-2 tokenizer_config.json files ask for ("legacy": false).
    "llama2_nonlegacy": transformers.LlamaTokenizer.from_pretrained(str(OUT / "llama2"), legacy=False),
    "gemma": transformers.GemmaTokenizer.from_pretrained(str(OUT / "gemma")),
}
llama2_fast = transformers.LlamaTokenizerFast.from_pretrained(str(OUT / "llama2"), legacy=True)
for tokenizer in [*loaded.values(), llama2_fast]:
    tokenizer.model_max_length = 10**9


def ids(tokenizer, text, special=False):
    return tokenizer(text, add_special_tokens=special)["input_ids"]


print("Llama-2 fast vs slow disagree on", sum(ids(loaded["llama2"], t) != ids(llama2_fast, t) for t in texts), "texts")
fixture = {"texts": texts}
for name, tokenizer in loaded.items():
    fixture[name] = {
        "ids": [ids(tokenizer, t) for t in texts],
        "with_special_tokens": [{"text": i, "ids": ids(tokenizer, texts[i], special=True)} for i in (0, 3)],
    }
(OUT / "ids.json").write_text(json.dumps(fixture, ensure_ascii=False, separators=(",", ":")))
for path in sorted(OUT.rglob("*")):
    if path.is_file():
        print(path.relative_to(OUT), path.stat().st_size)
