"""Writes Tests/ModelsTests/Fixtures/<name>/: small random Hugging Face models and what
transformers computes with them, for the Swift parity tests of the Models module: one BERT and
several DeBERTa-v2/v3 configurations (relative attention with log buckets shorter than the
sequence, pos_att_type as a string and as a list, shared and separate position projections,
with and without absolute positions and token types, embed_proj, only c2p, no relative
attention).

Each folder holds config.json, model.safetensors (the state dict) and reference.safetensors:
input_ids / attention_mask / token_type_ids of a right-padded batch of 3 rows, the
last_hidden_state in eval mode, the weight W of the scalar loss (last_hidden_state * W * mask).sum(),
and grad.<name> for several parameters; with train_seed (bert-tiny) also train_hidden_state: the
same batch in training mode (dropout on) after torch.manual_seed(train_seed), whose dropout masks
arena reproduces by seeding libtorch's global generator alike (the same libtorch draws the same
masks when the blocks use dropout in the same order).

Run: .venv/bin/python tools/make_model_fixtures.py
Pinned: transformers 4.40.2, safetensors 0.4.3, torch 2.15.0 from PyPI (the libtorch arena links)
(tools/requirements.txt; asserted). CPU, one thread.
transformers 4.40.2's BERT and DeBERTa-v2 have only the eager attention (no SDPA class; the tiny
BERT config names attn_implementation="eager" anyway), so torch 2.x's fused attention plays no part.
"""
import json
import pathlib

import safetensors.torch
import torch
import transformers

assert transformers.__version__ == "4.40.2", transformers.__version__
assert torch.__version__.split("+")[0] == "2.15.0", torch.__version__
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


def write(name, model, config, grads, lengths=(20, 13, 7), length=20, seed=0, config_overrides=None, train_seed=None):
    torch.manual_seed(seed)
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    model.eval()
    config.to_json_file(folder / "config.json")
    if config_overrides:
        # Fields as some real checkpoints write them (DeBERTa-v3: "pos_att_type": "p2c|c2p"),
        # which transformers' to_json_file would normalise away.
        written = json.loads((folder / "config.json").read_text())
        written.update(config_overrides)
        (folder / "config.json").write_text(json.dumps(written, indent=2, sort_keys=True) + "\n")
        reloaded = type(config).from_json_file(folder / "config.json")
        assert reloaded.to_dict() == config.to_dict(), name
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
    if train_seed is not None:
        model.train()
        torch.manual_seed(train_seed)
        with torch.no_grad():
            reference["train_hidden_state"] = model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state.contiguous()
        model.eval()
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
], train_seed=1234)


def perturb(model, seed):
    """Weights far from the initialisation (LayerNorm 1/0, std 0.02), so that attention is sharp
    and a wrong relative position or mask changes the output well beyond the tolerances."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            if name.endswith("LayerNorm.weight"):
                p.copy_(1 + 0.2 * noise)
            elif p.dim() == 1:
                p.copy_(0.2 * noise)
            elif "embeddings" in name:
                p.copy_(noise)
            else:
                p.copy_(1.5 * noise / p.shape[1] ** 0.5)


def deberta(name, grads, seed, config_overrides=None, **fields):
    torch.manual_seed(seed)
    base = dict(vocab_size=128, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                max_position_embeddings=64, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)
    base.update(fields)
    config = transformers.DebertaV2Config(**base)
    model = transformers.DebertaV2Model(config)
    perturb(model, seed)
    write(name, model, config, grads, seed=seed, config_overrides=config_overrides)


LAST = ["encoder.layer.1.output.dense.weight", "encoder.layer.1.output.LayerNorm.weight"]
QUERY = "encoder.layer.0.attention.self.query_proj.weight"
KEY = "encoder.layer.0.attention.self.key_proj.weight"

# DeBERTa-v3 as microsoft/deberta-v3-* configure it: log-bucketed relative positions (8 buckets,
# shorter than the 20-token rows), shared keys, no absolute positions, normalised relative
# embeddings, no token types, pos_att_type written as a string.
deberta("deberta-v3-tiny", ["embeddings.word_embeddings.weight", "embeddings.LayerNorm.weight", QUERY, KEY,
                            "encoder.rel_embeddings.weight", "encoder.LayerNorm.weight"] + LAST, seed=10,
        relative_attention=True, position_buckets=8, max_relative_positions=-1, pos_att_type="p2c|c2p",
        share_att_key=True, position_biased_input=False, norm_rel_ebd="layer_norm", type_vocab_size=0,
        config_overrides={"pos_att_type": "p2c|c2p"})

# Separate pos_key_proj / pos_query_proj, absolute positions and token types, embed_proj
# (embedding_size 24 -> hidden 48), buckets clamped (max_relative_positions 16 < 20 tokens),
# pos_att_type as a list in the other order.
deberta("deberta-v3-unshared", ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                                "embeddings.token_type_embeddings.weight", "embeddings.embed_proj.weight", QUERY,
                                "encoder.layer.0.attention.self.pos_key_proj.weight",
                                "encoder.layer.1.attention.self.pos_query_proj.weight",
                                "encoder.rel_embeddings.weight", "encoder.LayerNorm.weight"] + LAST, seed=20,
        hidden_size=48, embedding_size=24, relative_attention=True, position_buckets=8, max_relative_positions=16,
        pos_att_type=["c2p", "p2c"], share_att_key=False, position_biased_input=True, norm_rel_ebd="layer_norm",
        type_vocab_size=2)

# Only content-to-position, no buckets (plain clamp at 16 < 20 tokens), unnormalised relative
# embeddings, gelu_new.
deberta("deberta-v3-c2p", ["embeddings.word_embeddings.weight", QUERY,
                           "encoder.layer.0.attention.self.pos_key_proj.weight",
                           "encoder.rel_embeddings.weight"] + LAST, seed=30,
        relative_attention=True, position_buckets=-1, max_relative_positions=16, pos_att_type=["c2p"],
        share_att_key=False, position_biased_input=False, norm_rel_ebd="none", type_vocab_size=0,
        hidden_act="gelu_new")

# Only position-to-content with shared keys, on the second layer's query.
deberta("deberta-v3-p2c", ["embeddings.word_embeddings.weight", QUERY, "encoder.layer.1.attention.self.query_proj.weight",
                           "encoder.rel_embeddings.weight", "encoder.LayerNorm.weight"] + LAST, seed=40,
        relative_attention=True, position_buckets=8, max_relative_positions=-1, pos_att_type=["p2c"],
        share_att_key=True, position_biased_input=False, norm_rel_ebd="layer_norm", type_vocab_size=0)

# DeBERTa-v2 without relative attention: absolute positions only; pos_att_type still counts in
# the scale (1 + 2), as transformers computes it.
deberta("deberta-v2-absolute", ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                                QUERY] + LAST, seed=50,
        relative_attention=False, pos_att_type="p2c|c2p", position_biased_input=True, type_vocab_size=2,
        config_overrides={"pos_att_type": "p2c|c2p"})

# make_log_bucket_position at every distance -1023...1023 (rows of build_relative_position for
# 1024 tokens): DeBERTa-v3's real settings (256 buckets, max_relative_positions 512) and the
# tiny fixtures' (8 buckets up to 64, and up to 16 where distances exceed the maximum).
from transformers.models.deberta_v2.modeling_deberta_v2 import build_relative_position  # noqa: E402

tables = {}
for buckets, maximum in [(256, 512), (8, 64), (8, 16)]:
    rel = build_relative_position(1024, 1024, bucket_size=buckets, max_position=maximum)[0]
    assert torch.equal(rel[1:, 1:], rel[:-1, :-1])  # a function of i - j only
    tables[f"buckets{buckets}.max{maximum}"] = torch.cat([rel[0].flip(0), rel[1:, 0]]).contiguous()
safetensors.torch.save_file(tables, OUT / "deberta-log-buckets.safetensors")
print(f"deberta-log-buckets: {(OUT / 'deberta-log-buckets.safetensors').stat().st_size} bytes")
