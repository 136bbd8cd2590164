"""Writes Tests/ModelsTests/Fixtures/<name>/: small random Hugging Face models and what
transformers computes with them, for the Swift parity tests of the Models module.

Each folder holds config.json, model.safetensors (the state dict) and reference.safetensors:
input_ids / attention_mask / token_type_ids of a right-padded batch of 3 rows, the
last_hidden_state in eval mode, the weight W of the scalar loss (last_hidden_state * W * mask).sum(),
and grad.<name> for several parameters.

Run: .venv/bin/python tools/make_model_fixtures.py
Pinned: transformers 4.40.2, safetensors 0.4.3, Debian python3-torch 1.13 (tools/requirements.txt).
"""
import json
import pathlib

import safetensors.torch
import torch
import transformers

assert transformers.__version__ == "4.40.2", transformers.__version__
assert torch.__version__.startswith("1.13"), torch.__version__
torch.set_num_threads(1)
OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/ModelsTests/Fixtures"


def batch(vocab, lengths, length, type_vocab, seed):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, vocab, (len(lengths), length), generator=g)
    mask = torch.zeros(len(lengths), length, dtype=torch.int64)
    for row, n in enumerate(lengths):
        mask[row, :n] = 1
    ids = ids * mask  # padding id 0
    types = torch.zeros_like(ids)
    if type_vocab > 1:
        for row, n in enumerate(lengths):
            types[row, n // 2:n] = 1
    return ids, mask, types


def write(name, model, config, grads, lengths=(20, 13, 7), length=20, seed=0):
    torch.manual_seed(seed)
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    model.eval()
    config.to_json_file(folder / "config.json")
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    safetensors.torch.save_file(state, folder / "model.safetensors", metadata={"format": "pt"})
    ids, mask, types = batch(config.vocab_size, lengths, length, getattr(config, "type_vocab_size", 2), seed)
    hidden = model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
    g = torch.Generator().manual_seed(seed + 1)
    weight = torch.randn(hidden.shape, generator=g)
    loss = (hidden * weight * mask.unsqueeze(-1)).sum()
    loss.backward()
    parameters = dict(model.named_parameters())
    reference = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types,
                 "last_hidden_state": hidden.detach().contiguous(), "loss_weight": weight}
    for grad_name in grads:
        reference["grad." + grad_name] = parameters[grad_name].grad.contiguous()
    safetensors.torch.save_file(reference, folder / "reference.safetensors")
    size = sum(p.stat().st_size for p in folder.iterdir())
    print(f"{name}: {size} bytes")


torch.manual_seed(0)
bert_config = transformers.BertConfig(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                      intermediate_size=64, max_position_embeddings=64, type_vocab_size=2,
                                      hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
                                      attn_implementation="eager")
bert = transformers.BertModel(bert_config, add_pooling_layer=True)
write("bert-tiny", bert, bert_config, [
    "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
    "encoder.layer.0.attention.self.query.weight", "encoder.layer.1.output.dense.weight",
    "encoder.layer.1.output.LayerNorm.weight",
])
