"""Writes Tests/ModelsTests/Fixtures/heads/<case>/ for the Swift parity tests of the classifier
heads and of a few fine-tuning steps, with case one of:

  bert-cross, deberta-cross  the S4 cross-encoder: transformers' BertForSequenceClassification /
                             DebertaV2ForSequenceClassification (num_labels 3) on one batch of rows;
  bert-pair, deberta-pair    the S1 shared-weight classifier: one backbone (BertModel without pooler /
                             DebertaV2Model) run on side A and side B, masked mean pooling of
                             last_hidden_state, Linear(2 * hidden, 3) on [pooled_a, pooled_b];
  bert-features              S3: bert-pair with 14 numeric features per side (feature_projection
                             Linear(14, 16) + ReLU joined to each pooled side, hidden Linear(96, 8)
                             + ReLU, classifier Linear(8, 3)); step{s}.features_a/_b float32 [4, 14].

The backbones are the tiny random models of Fixtures/bert-tiny and Fixtures/deberta-v3-tiny (for
bert-cross without their pooler: the pooler and classifier keep transformers' own initialisation
after torch.manual_seed(1234)); the pair classifier is normal(std 0.02) after manual_seed(1234),
bias 0. Every dropout probability is 0 and the models run in eval mode; token_type_ids are zeros.

Training: 4 steps of batch 4, length 16 (right padding with id 0), loss
cross_entropy(logits, labels, label_smoothing=0.1), clip_grad_norm_(all parameters, 1.0),
torch.optim.AdamW (lr 1e-3, betas 0.9/0.999, eps 1e-8; weight decay 0.01 in a first group, 0 in a
second for names ending in "bias" or containing "LayerNorm", "layer_norm" or "norm."; parameters in
named_parameters order), get_linear_schedule_with_warmup(1 warmup step, 5 training steps), so the
learning rates are 0, 1e-3, 7.5e-4, 5e-4.

Each folder holds config.json (the config used), initial.safetensors (the parameters before
training, by state_dict name) and reference.safetensors with, for s in 0...3:
  step{s}.input_ids, step{s}.attention_mask                     (cross; int64 [4, 16])
  step{s}.input_ids_a/_b, step{s}.attention_mask_a/_b           (pair;  int64 [4, 16])
  step{s}.labels (int64 [4]), step{s}.logits (float32 [4, 3], before the step's update),
  step{s}.loss, step{s}.grad_norm (before clipping), step{s}.lr (float32 scalars);
step0.grad.<name> (before clipping) for the classifier, the word embeddings, the first layer's
attention query weight and (cross) the pooler dense weight; final.<name> for every parameter after
the 4 steps.

Run: .venv/bin/python tools/make_head_fixtures.py
Pinned: transformers 4.40.2, safetensors 0.4.3, torch 2.15.0 from PyPI (the libtorch arena links)
(tools/requirements.txt; asserted). CPU, one thread.
transformers 4.40.2's BERT and DeBERTa-v2 have only the eager attention (no SDPA class; the tiny
BERT config names attn_implementation="eager" anyway), so torch 2.x's fused attention plays no part.
"""
import pathlib

import safetensors.torch
import torch
import torch.nn.functional as F
import transformers
from torch import nn

assert transformers.__version__ == "4.40.2", transformers.__version__
assert torch.__version__.split("+")[0] == "2.15.0", torch.__version__
assert safetensors.__version__ == "0.4.3", safetensors.__version__
torch.set_num_threads(1)
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "Tests/ModelsTests/Fixtures"
OUT = FIXTURES / "heads"

NUM_LABELS = 3
STEPS = 4
BATCH = 4
LENGTH = 16
HEAD_SEED = 1234
# S3's numeric-feature branch in the "features" case: 14 statistics per side, widths 16 and 8.
FEATURES = (14, 16, 8)

# Row lengths per step: every step has a full row (16) and a short one (<= 4).
LENGTHS_A = [(16, 11, 7, 3), (5, 16, 2, 12), (9, 4, 16, 14), (16, 1, 10, 6)]
LENGTHS_B = [(8, 16, 4, 13), (16, 3, 10, 6), (2, 12, 7, 16), (11, 16, 5, 1)]
LABELS = [(0, 1, 2, 1), (2, 0, 1, 0), (1, 2, 0, 2), (0, 2, 1, 1)]


def load_backbone(name):
    return safetensors.torch.load_file(FIXTURES / name / "model.safetensors")


def config_without_dropout(config_class, name):
    config = config_class.from_json_file(FIXTURES / name / "config.json")
    config.hidden_dropout_prob = 0.0
    config.attention_probs_dropout_prob = 0.0
    if isinstance(config, transformers.BertConfig):
        config.classifier_dropout = 0.0
    else:
        config.pooler_dropout = 0.0
        config.cls_dropout = 0.0
    config.num_labels = NUM_LABELS
    for key, value in config.to_dict().items():
        if "dropout" in key:
            assert value == 0, (key, value)
    return config


class PairClassifier(nn.Module):
    """S1: shared backbone over both sides, masked mean pooling, Linear(2 * hidden, labels).
    With `features` (S3): each side's numeric features through feature_projection Linear(F, W)
    and ReLU join its pooled vector; [A, B] through hidden Linear(2 (hidden + W), W2) and ReLU,
    then classifier Linear(W2, labels)."""

    def __init__(self, config, backbone_attribute, features=None):
        super().__init__()
        self.backbone_attribute = backbone_attribute
        if backbone_attribute == "bert":
            self.bert = transformers.BertModel(config, add_pooling_layer=False)
        else:
            self.deberta = transformers.DebertaV2Model(config)
        self.features = features
        if features:
            count, width, hidden = features
            self.feature_projection = nn.Linear(count, width)
            self.hidden = nn.Linear(2 * (config.hidden_size + width), hidden)
            self.classifier = nn.Linear(hidden, config.num_labels)
        else:
            self.classifier = nn.Linear(2 * config.hidden_size, config.num_labels)
        torch.manual_seed(HEAD_SEED)
        nn.init.normal_(self.classifier.weight, std=0.02)
        nn.init.zeros_(self.classifier.bias)
        if features:
            for layer in (self.feature_projection, self.hidden):
                nn.init.normal_(layer.weight, std=0.02)
                nn.init.zeros_(layer.bias)

    def encode(self, ids, mask):
        backbone = getattr(self, self.backbone_attribute)
        h = backbone(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).last_hidden_state
        m = mask.unsqueeze(-1).float()
        return (h * m).sum(1) / m.sum(1).clamp(min=1e-9)

    def forward(self, ids_a, mask_a, ids_b, mask_b, features_a=None, features_b=None):
        a, b = self.encode(ids_a, mask_a), self.encode(ids_b, mask_b)
        if not self.features:
            return self.classifier(torch.cat([a, b], -1))
        a = torch.cat([a, torch.relu(self.feature_projection(features_a))], -1)
        b = torch.cat([b, torch.relu(self.feature_projection(features_b))], -1)
        return self.classifier(torch.relu(self.hidden(torch.cat([a, b], -1))))


class CrossClassifier(nn.Module):
    """S4: transformers' *ForSequenceClassification, state_dict names without a prefix."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids, mask):
        return self.model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).logits


def build(kind, family):
    """A fresh model of the case (tiny backbone weights, head from its seed) and its config."""
    tiny = "bert-tiny" if family == "bert" else "deberta-v3-tiny"
    config_class = transformers.BertConfig if family == "bert" else transformers.DebertaV2Config
    config = config_without_dropout(config_class, tiny)
    weights = load_backbone(tiny)
    if kind in ("pair", "features"):
        weights = {k: v for k, v in weights.items() if not k.startswith("pooler.")}
        model = PairClassifier(config, family, FEATURES if kind == "features" else None)
        getattr(model, family).load_state_dict(weights, strict=True)
        parameters = model
    else:
        torch.manual_seed(HEAD_SEED)
        if family == "bert":
            hf = transformers.BertForSequenceClassification(config)
            # The tiny BERT file has a pooler too; the head keeps transformers' initialisation.
            weights = {k: v for k, v in weights.items() if not k.startswith("pooler.")}
            result = hf.bert.load_state_dict(weights, strict=False)
            assert not result.unexpected_keys, result.unexpected_keys
            assert sorted(result.missing_keys) == ["pooler.dense.bias", "pooler.dense.weight"], result.missing_keys
        else:
            hf = transformers.DebertaV2ForSequenceClassification(config)
            hf.deberta.load_state_dict(weights, strict=True)
        model = CrossClassifier(hf)
        parameters = hf
    model.eval()
    return model, parameters, config


def batch(vocab, lengths, seed):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, vocab, (BATCH, LENGTH), generator=g)
    mask = torch.zeros(BATCH, LENGTH, dtype=torch.int64)
    for row, n in enumerate(lengths):
        mask[row, :n] = 1
    return ids * mask, mask  # padding id 0


def batches(kind, vocab, seed):
    out = []
    for s in range(STEPS):
        step = {"labels": torch.tensor(LABELS[s], dtype=torch.int64)}
        if kind in ("pair", "features"):
            step["input_ids_a"], step["attention_mask_a"] = batch(vocab, LENGTHS_A[s], seed + 10 * s)
            step["input_ids_b"], step["attention_mask_b"] = batch(vocab, LENGTHS_B[s], seed + 10 * s + 1)
        else:
            step["input_ids"], step["attention_mask"] = batch(vocab, LENGTHS_A[s], seed + 10 * s)
        if kind == "features":
            g = torch.Generator().manual_seed(seed + 10 * s + 2)
            step["features_a"] = torch.randn(BATCH, FEATURES[0], generator=g)
            step["features_b"] = torch.randn(BATCH, FEATURES[0], generator=g)
        out.append(step)
    return out


def inputs(kind, step):
    if kind == "features":
        return (step["input_ids_a"], step["attention_mask_a"], step["input_ids_b"], step["attention_mask_b"],
                step["features_a"], step["features_b"])
    if kind == "pair":
        return step["input_ids_a"], step["attention_mask_a"], step["input_ids_b"], step["attention_mask_b"]
    return step["input_ids"], step["attention_mask"]


def exempt(name):
    return name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name or "norm." in name


def parameter_state(parameters):
    return {k: v.detach().clone().contiguous() for k, v in parameters.named_parameters()}


def write(case, seed):
    family, kind = case.split("-")
    folder = OUT / case
    folder.mkdir(parents=True, exist_ok=True)
    model, parameters, config = build(kind, family)
    config.to_json_file(folder / "config.json")
    initial = parameter_state(parameters)
    assert set(initial) == set(parameters.state_dict()), set(parameters.state_dict()) ^ set(initial)
    safetensors.torch.save_file(initial, folder / "initial.safetensors", metadata={"format": "pt"})

    named = list(parameters.named_parameters())
    grad_names = ["classifier.weight", "classifier.bias", f"{family}.embeddings.word_embeddings.weight",
                  f"{family}.encoder.layer.0.attention.self." + ("query.weight" if family == "bert" else
                                                                 "query_proj.weight")]
    if kind == "features":
        grad_names += ["feature_projection.weight", "hidden.weight"]
    if kind == "cross":
        grad_names.append("bert.pooler.dense.weight" if family == "bert" else "pooler.dense.weight")
    assert all(n in initial for n in grad_names), grad_names

    optimizer = torch.optim.AdamW(
        [{"params": [p for n, p in named if not exempt(n)], "weight_decay": 0.01},
         {"params": [p for n, p in named if exempt(n)], "weight_decay": 0.0}],
        lr=1e-3, betas=(0.9, 0.999), eps=1e-8, amsgrad=False)
    scheduler = transformers.get_linear_schedule_with_warmup(optimizer, num_warmup_steps=1, num_training_steps=5)
    reference = {}
    losses = []
    data = batches(kind, config.vocab_size, seed)
    for s, step in enumerate(data):
        logits = model(*inputs(kind, step))
        loss = F.cross_entropy(logits, step["labels"], label_smoothing=0.1)
        loss.backward()
        named_grads = dict(named)
        if s == 0:
            # Gradients before clipping (clip_grad_norm_ scales them in place).
            for name in grad_names:
                reference[f"step0.grad.{name}"] = named_grads[name].grad.detach().clone().contiguous()
        grad_norm = torch.nn.utils.clip_grad_norm_([p for _, p in named], max_norm=1.0)
        lr = scheduler.get_last_lr()[0]
        for key, value in step.items():
            reference[f"step{s}.{key}"] = value.contiguous()
        reference[f"step{s}.logits"] = logits.detach().contiguous()
        reference[f"step{s}.loss"] = loss.detach().reshape([]).float()
        reference[f"step{s}.grad_norm"] = grad_norm.detach().reshape([]).float()
        reference[f"step{s}.lr"] = torch.tensor(lr, dtype=torch.float32)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    for name, value in parameter_state(parameters).items():
        reference[f"final.{name}"] = value
    safetensors.torch.save_file(reference, folder / "reference.safetensors", metadata={"format": "pt"})

    # Sanity: a fresh model loaded from initial.safetensors reproduces step0.logits exactly.
    fresh, fresh_parameters, _ = build(kind, family)
    fresh_parameters.load_state_dict(safetensors.torch.load_file(folder / "initial.safetensors"), strict=True)
    with torch.no_grad():
        again = fresh(*inputs(kind, data[0]))
    assert torch.equal(again, reference["step0.logits"]), (again - reference["step0.logits"]).abs().max()
    assert len(set(losses)) == STEPS, losses
    # The trained model on the first batch, for the log only (the step-0 update had lr 0).
    with torch.no_grad():
        after = F.cross_entropy(model(*inputs(kind, data[0])), data[0]["labels"], label_smoothing=0.1).item()
    lrs = [reference[f"step{s}.lr"].item() for s in range(STEPS)]
    norms = [reference[f"step{s}.grad_norm"].item() for s in range(STEPS)]
    size = sum(p.stat().st_size for p in folder.iterdir())
    print(f"{case}: {size} bytes; losses {[round(x, 6) for x in losses]}; step0 batch after training "
          f"{after:.6f}; grad norms {[round(x, 4) for x in norms]}; lr {lrs}")


if __name__ == "__main__":
    for index, case in enumerate(["bert-pair", "bert-cross", "deberta-pair", "deberta-cross", "bert-features"]):
        write(case, seed=100 * (index + 1))
    (OUT / "README.md").write_text(
        "Fixtures written by tools/make_head_fixtures.py (run: .venv/bin/python tools/make_head_fixtures.py):\n"
        "classifier heads (S1 pair, S3 pair with numeric features, S4 cross-encoder) on the tiny BERT / DeBERTa-v3 models, and 4 AdamW steps\n"
        "with label smoothing, gradient clipping and a linear warmup schedule; see the script's docstring.\n"
        f"torch {torch.__version__.split('+')[0]} from PyPI (the libtorch arena links), transformers {transformers.__version__}"
        " (tools/requirements.txt); CPU, one thread.\n")
