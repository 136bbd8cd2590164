"""Writes Tests/ModelsTests/Fixtures/llama-tiny-lora*/: LoRA adapters as peft 0.11.1 builds them on
the tiny LlamaForSequenceClassification of Fixtures/llama-tiny-cls (its config.json and
model.safetensors are the frozen base, read from there, not copied), for the Swift tests of
Sources/Models/LoRA.

Each folder holds what `PeftModel.save_pretrained` writes (adapter_config.json and
adapter_model.safetensors: `base_model.model.<module>.lora_A.weight` / `.lora_B.weight` and the
modules_to_save as `base_model.model.score.weight`) and reference.safetensors:
- llama-tiny-lora: get_peft_model(model, LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8,
  lora_dropout=0.0, target_modules=[q,k,v,o,gate,up,down]_proj)), every lora_B set to seeded
  non-zero values (peft starts B at zero) and score.weight perturbed, so adapters and head show.
  reference: input_ids / attention_mask (llama-tiny-cls' right-padded rows), labels [3];
  logits [3, 3] in eval mode; grad.<name> of cross_entropy(logits, labels) for every trainable
  parameter (<name>: the Swift store's name, `model.layers.0.self_attn.q_proj.lora_A.weight`,
  `score.weight`); step3.<name>: every trainable parameter after 3 torch.optim.AdamW steps (lr 1e-2,
  weight_decay 0.01, default betas and eps) on that loss; merged_logits: the logits of
  `merge_and_unload()`.
- llama-tiny-lora-rslora: use_rslora=True (scaling alpha/sqrt(r)), r=8, lora_alpha=4 and a regex
  string target_modules (full match: the attention projections of layer 1 and every down_proj);
  reference: logits and merged_logits.
- llama-tiny-lora-bf16: the first configuration on the base cast to bfloat16, adapters and the
  score head in float32 (the head's input cast to float32 by a forward pre-hook, as arena's Linear
  does when its weight's dtype differs from the input's); reference: logits (float32).

- qwen2-tiny-lora, gemma-tiny-lora, gemma2-tiny-lora: llama-tiny-lora's configuration and
  reference (logits, grad.<name>, step3.<name>, merged_logits; the same labels) on the classifiers
  of Fixtures/qwen2-tiny-cls, gemma-tiny-cls and gemma2-tiny-cls (their right-padded rows).
  Gemma-2 is not in transformers 4.40.2: gemma2-tiny-lora is written only with --gemma2, under the
  overlay of tools/requirements-gemma2.txt (transformers 4.42.4; peft 0.11.1 works with it).

Run: PYTHONHASHSEED=0 .venv/bin/python tools/make_lora_fixtures.py (peft keeps a target list as a
set, so the order adapter_config.json lists it in follows the string hash seed; the tensors do not)
and PYTHONHASHSEED=0 PYTHONPATH=.venv-gemma2-overlay .venv/bin/python tools/make_lora_fixtures.py --gemma2.
Pinned: peft 0.11.1 (with accelerate 0.30.1, psutil 5.9.8), transformers 4.40.2 (4.42.4 with
--gemma2), safetensors 0.4.3, torch 2.15.0 (tools/requirements.txt; asserted). CPU, one thread,
attn_implementation="eager".
"""
import json
import pathlib
import sys

import peft
import safetensors
import safetensors.torch
import torch
import transformers

assert peft.__version__ == "0.11.1", peft.__version__
GEMMA2 = sys.argv[1:] == ["--gemma2"]
assert sys.argv[1:] in ([], ["--gemma2"]), "usage: make_lora_fixtures.py [--gemma2]"
assert transformers.__version__ == ("4.42.4" if GEMMA2 else "4.40.2"), transformers.__version__
assert safetensors.__version__ == "0.4.3", safetensors.__version__
assert torch.__version__.split("+")[0] == "2.15.0", torch.__version__
torch.set_num_threads(1)
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "Tests/ModelsTests/Fixtures"
BASE = FIXTURES / "llama-tiny-cls"
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

base_inputs = safetensors.torch.load_file(BASE / "reference.safetensors")
ids, mask = base_inputs["input_ids"], base_inputs["attention_mask"]
labels = torch.tensor([0, 2, 1])


def base_model(dtype=torch.float32, base=BASE):
    model_type = json.loads((base / "config.json").read_text())["model_type"]
    config = transformers.CONFIG_MAPPING[model_type].from_json_file(base / "config.json")
    config._attn_implementation = "eager"
    model = transformers.MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING[type(config)](config)
    model.load_state_dict(safetensors.torch.load_file(base / "model.safetensors"), strict=True)
    return model.to(dtype).eval()


def swift_name(name):
    """peft's parameter name -> the Swift store's: no `base_model.model.`, no adapter name, the
    modules_to_save copy under the module's own name."""
    name = name.removeprefix("base_model.model.")
    name = name.replace(".modules_to_save.default.", ".").replace(".default.", ".")
    return name


def adapted(config, seed, dtype=torch.float32, base=BASE):
    model = peft.get_peft_model(base_model(dtype, base), config)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "lora_" in name or "modules_to_save" in name:
                parameter.data = parameter.data.float()
            if "lora_B" in name:
                parameter.copy_(0.2 * torch.randn(parameter.shape, generator=g))
            elif "modules_to_save" in name:
                parameter.add_(0.1 * torch.randn(parameter.shape, generator=g))
    return model.eval()


def save(model, folder, reference):
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    # save_pretrained also writes a README.md model card; the fixtures keep only the two files.
    (folder / "README.md").unlink(missing_ok=True)
    safetensors.torch.save_file({k: v.contiguous() for k, v in reference.items()}, folder / "reference.safetensors")
    print(f"{folder.name}: {sum(p.stat().st_size for p in folder.iterdir())} bytes")


def write_full(base, name):
    """llama-tiny-lora's configuration and reference on the classifier of Fixtures/<base>."""
    base = FIXTURES / base
    inputs = safetensors.torch.load_file(base / "reference.safetensors")
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    torch.manual_seed(3)
    config = peft.LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, lora_dropout=0.0, target_modules=TARGETS)
    model = adapted(config, seed=4, base=base)
    trainable = [(swift_name(n), p) for n, p in model.named_parameters() if p.requires_grad]
    assert all("lora_" in n or n == "score.weight" for n, _ in trainable), [n for n, _ in trainable]
    layers = model.base_model.model.config.num_hidden_layers
    assert len(trainable) == 2 * 7 * layers + 1, len(trainable)
    frozen_before = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    reference = {"input_ids": ids, "attention_mask": mask, "labels": labels}
    with torch.no_grad():
        reference["logits"] = model(input_ids=ids, attention_mask=mask).logits
    torch.nn.functional.cross_entropy(model(input_ids=ids, attention_mask=mask).logits, labels).backward()
    for n, parameter in trainable:
        reference["grad." + n] = parameter.grad.clone()
    folder = FIXTURES / name
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)  # the state before training
    (folder / "README.md").unlink(missing_ok=True)
    optimizer = torch.optim.AdamW([p for _, p in trainable], lr=1e-2, weight_decay=0.01)
    for _ in range(3):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(input_ids=ids, attention_mask=mask).logits, labels).backward()
        optimizer.step()
    for n, parameter in trainable:
        reference["step3." + n] = parameter.detach().clone()
    assert all(torch.equal(p, frozen_before[n]) for n, p in model.named_parameters() if not p.requires_grad)
    merged = peft.PeftModel.from_pretrained(base_model(base=base), folder).merge_and_unload().eval()
    assert not any("lora_" in n for n, _ in merged.named_parameters())
    with torch.no_grad():
        reference["merged_logits"] = merged(input_ids=ids, attention_mask=mask).logits
        assert torch.allclose(reference["merged_logits"], reference["logits"], atol=1e-5)
    safetensors.torch.save_file({k: v.contiguous() for k, v in reference.items()}, folder / "reference.safetensors")
    print(f"{folder.name}: {sum(p.stat().st_size for p in folder.iterdir())} bytes")


if GEMMA2:
    # -- gemma2-tiny-lora (transformers 4.42.4) --------------------------------------------------------
    write_full("gemma2-tiny-cls", "gemma2-tiny-lora")
    sys.exit(0)

# -- llama-tiny-lora ---------------------------------------------------------------------------------
torch.manual_seed(3)
config = peft.LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, lora_dropout=0.0, target_modules=TARGETS)
model = adapted(config, seed=4)
trainable = [(swift_name(n), p) for n, p in model.named_parameters() if p.requires_grad]
assert all("lora_" in n or n == "score.weight" for n, _ in trainable), [n for n, _ in trainable]
assert len(trainable) == 2 * 7 * 2 + 1
frozen_before = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
reference = {"input_ids": ids, "attention_mask": mask, "labels": labels}
with torch.no_grad():
    reference["logits"] = model(input_ids=ids, attention_mask=mask).logits
loss = torch.nn.functional.cross_entropy(model(input_ids=ids, attention_mask=mask).logits, labels)
loss.backward()
for name, parameter in trainable:
    reference["grad." + name] = parameter.grad.clone()
# The saved adapter is the state before training.
folder = FIXTURES / "llama-tiny-lora"
folder.mkdir(parents=True, exist_ok=True)
model.save_pretrained(folder)
(folder / "README.md").unlink(missing_ok=True)
optimizer = torch.optim.AdamW([p for _, p in trainable], lr=1e-2, weight_decay=0.01)
for _ in range(3):
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(model(input_ids=ids, attention_mask=mask).logits, labels).backward()
    optimizer.step()
for name, parameter in trainable:
    reference["step3." + name] = parameter.detach().clone()
assert all(torch.equal(p, frozen_before[n]) for n, p in model.named_parameters() if not p.requires_grad)
# Merged logits from the untrained adapter (the one saved above).
merged = peft.PeftModel.from_pretrained(base_model(), folder).merge_and_unload().eval()
assert not any("lora_" in n for n, _ in merged.named_parameters())
with torch.no_grad():
    reference["merged_logits"] = merged(input_ids=ids, attention_mask=mask).logits
    assert torch.allclose(reference["merged_logits"], reference["logits"], atol=1e-5)
safetensors.torch.save_file({k: v.contiguous() for k, v in reference.items()}, folder / "reference.safetensors")
print(f"{folder.name}: {sum(p.stat().st_size for p in folder.iterdir())} bytes")

# -- llama-tiny-lora-rslora: use_rslora and a regex target ---------------------------------------------
torch.manual_seed(5)


def rslora_config():
    # A new config each time: get_peft_model appends the task's modules_to_save to the one it gets.
    return peft.LoraConfig(task_type="SEQ_CLS", r=8, lora_alpha=4, lora_dropout=0.0, use_rslora=True,
                           target_modules=r"model\.layers\.1\.self_attn\.(q|k|v|o)_proj|.*\.down_proj")


model = adapted(rslora_config(), seed=6)
reference = {"input_ids": ids, "attention_mask": mask}
with torch.no_grad():
    reference["logits"] = model(input_ids=ids, attention_mask=mask).logits
    reference["merged_logits"] = model.merge_and_unload()(input_ids=ids, attention_mask=mask).logits
torch.manual_seed(5)  # the same lora_A init (kaiming_uniform_ draws from the global generator)
model = adapted(rslora_config(), seed=6)  # merge_and_unload changed the model: save the unmerged adapter
save(model, FIXTURES / "llama-tiny-lora-rslora", reference)

# -- llama-tiny-lora-bf16: bfloat16 base, float32 adapters and head -------------------------------------
torch.manual_seed(3)
config = peft.LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, lora_dropout=0.0, target_modules=TARGETS)
model = adapted(config, seed=4, dtype=torch.bfloat16)
head = model.base_model.model.score.modules_to_save["default"]
head.register_forward_pre_hook(lambda module, args: (args[0].to(module.weight.dtype),))
assert head.weight.dtype == torch.float32
assert model.base_model.model.model.layers[0].self_attn.q_proj.base_layer.weight.dtype == torch.bfloat16
assert model.base_model.model.model.layers[0].self_attn.q_proj.lora_A["default"].weight.dtype == torch.float32
with torch.no_grad():
    logits = model(input_ids=ids, attention_mask=mask).logits
assert logits.dtype == torch.float32
save(model, FIXTURES / "llama-tiny-lora-bf16", {"input_ids": ids, "attention_mask": mask, "logits": logits})
print(json.dumps(json.loads((FIXTURES / "llama-tiny-lora/adapter_config.json").read_text()), sort_keys=True))

# -- qwen2-tiny-lora, gemma-tiny-lora ------------------------------------------------------------------
write_full("qwen2-tiny-cls", "qwen2-tiny-lora")
write_full("gemma-tiny-cls", "gemma-tiny-lora")
