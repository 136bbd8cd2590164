"""Writes Tests/ArenaCLITests/Fixtures/llama-tiny-chat/: a small random Llama causal LM with the
Llama-3-style byte-level BPE tokenizer of Tests/TokenizersTests/Fixtures/decoder-tokenizers/llama3
(tools/make_decoder_tokenizer_fixtures.py), the model folder the end-to-end CLI tests fine-tune
(`arena finetune --model` with and without --lora), predict with and serve.

The folder is what a user downloads for a real Llama-3: config.json (LlamaForCausalLM, no
pad_token_id, as Llama-3 ships), model.safetensors (tied embeddings, so no lm_head.weight) and the
tokenizer files. Hidden 32, 2 layers, 4 heads with 2 key/value heads, vocabulary 800 (the
tokenizer's), max_position_embeddings 512, rope_theta 500000; normal(0, 0.1) weights so that the
classifier sees different texts differently from the first step.

Run: .venv/bin/python tools/make_decoder_cli_fixtures.py
Pinned: transformers 4.40.2, safetensors 0.4.3, torch 2.15.0 from PyPI (tools/requirements.txt;
asserted). CPU, one thread.
"""
import pathlib
import shutil

import safetensors
import torch
import transformers

assert transformers.__version__ == "4.40.2", transformers.__version__
assert safetensors.__version__ == "0.4.3", safetensors.__version__
assert torch.__version__.split("+")[0] == "2.15.0", torch.__version__
torch.set_num_threads(1)
ROOT = pathlib.Path(__file__).resolve().parent.parent
TOKENIZER = ROOT / "Tests/TokenizersTests/Fixtures/decoder-tokenizers/llama3"
OUT = ROOT / "Tests/ArenaCLITests/Fixtures/llama-tiny-chat"

tokenizer = transformers.AutoTokenizer.from_pretrained(TOKENIZER)
torch.manual_seed(0)
config = transformers.LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                                  rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=True, initializer_range=0.1,
                                  bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
model = transformers.LlamaForCausalLM(config).eval()
OUT.mkdir(parents=True, exist_ok=True)
model.save_pretrained(OUT, safe_serialization=True)
for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
    shutil.copy(TOKENIZER / name, OUT / name)
(OUT / "generation_config.json").unlink(missing_ok=True)
print(sorted(p.name for p in OUT.iterdir()), sum(p.stat().st_size for p in OUT.iterdir()))
