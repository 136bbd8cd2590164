"""LoRA training step of a Llama-shaped decoder, the Python side of `benchmarks/lora_speed.sh`
(issue 15), and the random model both sides load.

`make-model DIR [--size 100m|tiny]`: a random LlamaForSequenceClassification saved with
save_pretrained (float32 safetensors, config.json with pad_token_id 0). 100m: hidden 768, 12
layers, 12 heads, 4 key/value heads, intermediate 2048, vocabulary 32000 (about 100M parameters:
24.6M in the embeddings, 6.3M per layer); tiny: hidden 64, 2 layers, for a quick check.

`run --model DIR`: the step `arena finetune --lora` runs, in transformers + peft: the base in
bfloat16 (model.to(torch.bfloat16)), `get_peft_model(LoraConfig(task_type="SEQ_CLS", r=16,
lora_alpha=32, lora_dropout=0.05, target_modules=[q,k,v,o,gate,up,down]_proj))`, the trainable
parameters (the LoRA matrices and the `score` head, peft's modules_to_save) cast to float32 master
weights, bfloat16 autocast for the forward pass, cross-entropy, backward, clip_grad_norm_(1.0),
torch.optim.AdamW (lr 1e-4, weight decay 0.01 except biases and norms), zero_grad. Batch B x L
random ids, full masks, train mode. `--checkpointing` turns on
`gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})` with
`enable_input_require_grads()` (what a user of transformers writes; arena's checkpointing is the
reentrant one). --threads 0 (the default) leaves torch's default thread count; --fused-adamw uses
AdamW(fused=True) as arena does. Prints one JSON line: the median step time after 2 warm-up
steps and the peak RSS of the process (ru_maxrss).

Pinned (tools/requirements.txt): transformers 4.40.2, peft 0.11.1, torch 2.15.0 from PyPI (the
version of the libtorch arena links).
"""
import argparse
import json
import resource
import statistics
import time

import torch
import transformers

parser = argparse.ArgumentParser()
parser.add_argument("command", choices=["make-model", "run"])
parser.add_argument("out", nargs="?")
parser.add_argument("--size", choices=["100m", "tiny"], default="100m")
parser.add_argument("--model")
parser.add_argument("--batch", type=int, default=2)
parser.add_argument("--length", type=int, default=512)
parser.add_argument("--steps", type=int, default=3)
parser.add_argument("--rank", type=int, default=16)
parser.add_argument("--checkpointing", action="store_true")
parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads; 0: torch's default")
parser.add_argument("--fused-adamw", action="store_true")
args = parser.parse_args()
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

if args.command == "make-model":
    torch.manual_seed(0)
    shape = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, num_key_value_heads=4, intermediate_size=2048,
                 vocab_size=32000) if args.size == "100m" else dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                                                     num_key_value_heads=2, intermediate_size=128, vocab_size=1000)
    config = transformers.LlamaConfig(**shape, max_position_embeddings=2048, rope_theta=500000.0, num_labels=3, pad_token_id=0,
                                      tie_word_embeddings=False)
    model = transformers.LlamaForSequenceClassification(config)
    model.save_pretrained(args.out, safe_serialization=True)
    print(json.dumps({"parameters": sum(p.numel() for p in model.parameters())}))
    raise SystemExit(0)

import peft  # noqa: E402

if args.threads > 0:
    torch.set_num_threads(args.threads)
torch.manual_seed(0)
model = transformers.LlamaForSequenceClassification.from_pretrained(args.model, torch_dtype=torch.bfloat16)
if args.checkpointing:
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    model.enable_input_require_grads()
model = peft.get_peft_model(model, peft.LoraConfig(task_type="SEQ_CLS", r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.05,
                                                   target_modules=TARGETS))
for parameter in model.parameters():
    if parameter.requires_grad:
        parameter.data = parameter.data.float()
model.train()
exempt = lambda name: name.endswith("bias") or "norm" in name
named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
optimizer = torch.optim.AdamW([
    {"params": [p for n, p in named if not exempt(n)], "weight_decay": 0.01},
    {"params": [p for n, p in named if exempt(n)], "weight_decay": 0.0},
], lr=1e-4, **({"fused": True} if args.fused_adamw else {}))
def rss_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


loaded_rss = rss_kib()
vocab = model.config.vocab_size
generator = torch.Generator().manual_seed(1)
times = []
losses = []
for step in range(args.steps + 2):
    ids = torch.randint(1, vocab, (args.batch, args.length), generator=generator)
    mask = torch.ones(args.batch, args.length, dtype=torch.int64)
    labels = torch.randint(0, 3, (args.batch,), generator=generator)
    started = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(input_ids=ids, attention_mask=mask).logits
    loss = torch.nn.functional.cross_entropy(logits.float(), labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for _, p in named], 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    losses.append(loss.item())
    if step >= 2:
        times.append(time.perf_counter() - started)
print(json.dumps({"side": "python", "checkpointing": args.checkpointing, "median_step_seconds": statistics.median(times),
                  "tokens_per_step": args.batch * args.length, "steps": len(times), "losses": losses,
                  "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "loaded_rss_kib": loaded_rss,
                  "trainable": sum(p.numel() for _, p in named), "threads": torch.get_num_threads(), "fused_adamw": args.fused_adamw,
                  "torch": torch.__version__, "peft": peft.__version__}))
