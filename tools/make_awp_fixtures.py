"""Writes Tests/ModelsTests/Fixtures/awp/<case>.safetensors: the reference for the Swift parity
test of adversarial weight perturbation (Sources/Finetuning/WeightPerturbation.swift).

The model, initial weights and batches are those of the bert-cross case of
tools/make_head_fixtures.py (transformers' BertForSequenceClassification on the tiny random BERT,
every dropout 0, eval mode): Tests/ModelsTests/Fixtures/heads/bert-cross/{config.json,
initial.safetensors} and the step{s}.input_ids / attention_mask / labels of its
reference.safetensors. Four steps of: cross_entropy(logits, labels, label_smoothing=0.1),
backward; AWP (the `AWP` class of the Feedback Prize 2021 1st place,
https://github.com/antmachineintelligence/Feedback_1st/blob/a8d201a7d91e967f3df508434f7969ca9f59d0d6/utils/utils.py#L622,
copied below with adv_step 1 and without the GradScaler: _save, _attack_step, the loss of the same
batch again, optimizer.zero_grad() in the "adversarial" cases (as that class does) or not in the
"sum" cases, its backward, _restore); clip_grad_norm_(all parameters, 1.0); torch.optim.AdamW
(lr 1e-3 constant, betas 0.9/0.999, eps 1e-8; weight decay 0.01, 0 for biases and LayerNorms,
parameters in named_parameters order); optimizer.zero_grad().

Cases: adversarial  adv_param "weight", adv_lr 1, adv_eps 0.2 (the class's defaults; at step 0,
                    61% of the attacked elements end on their bound)
       sum          adv_param "weight", adv_lr 0.02, adv_eps 0.1 (8% on their bound)
       attention    adv_param "attention", adv_lr 0.5, adv_eps 0.3, gradient "sum" (51%)
Each file holds final.<name> for every parameter after the 4 steps, and step{s}.loss,
step{s}.adversarial_loss (float32 scalars).

Run: .venv/bin/python tools/make_awp_fixtures.py
Pinned: transformers 4.40.2, safetensors 0.4.3, torch 2.15.0 from PyPI (the libtorch arena links)
(tools/requirements.txt; asserted by make_head_fixtures). CPU, one thread.
"""
import pathlib
import sys

import safetensors.torch
import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import make_head_fixtures as heads  # noqa: E402  (asserts the pinned versions, one thread)

FIXTURES = heads.FIXTURES
OUT = FIXTURES / "awp"
CASES = {
    "adversarial": dict(adv_param="weight", adv_lr=1.0, adv_eps=0.2, gradient="adversarial"),
    "sum": dict(adv_param="weight", adv_lr=0.02, adv_eps=0.1, gradient="sum"),
    "attention": dict(adv_param="attention", adv_lr=0.5, adv_eps=0.3, gradient="sum"),
}


class AWP:
    """The public class, adv_step 1, no GradScaler; `zero_grad` False for the "sum" variant."""

    def __init__(self, model, optimizer, adv_param="weight", adv_lr=1, adv_eps=0.2, zero_grad=True):
        self.model = model
        self.optimizer = optimizer
        self.adv_param = adv_param
        self.adv_lr = adv_lr
        self.adv_eps = adv_eps
        self.zero_grad = zero_grad
        self.backup = {}
        self.backup_eps = {}

    def attack_backward(self, loss_function):
        self._save()
        self._attack_step()
        adv_loss = loss_function()
        if self.zero_grad:
            self.optimizer.zero_grad()
        adv_loss.backward()
        self._restore()
        return adv_loss

    def _attack_step(self):
        e = 1e-6
        for name, param in self.model.named_parameters():
            if param.requires_grad and param.grad is not None and self.adv_param in name:
                norm1 = torch.norm(param.grad)
                norm2 = torch.norm(param.data.detach())
                if norm1 != 0 and not torch.isnan(norm1):
                    r_at = self.adv_lr * param.grad / (norm1 + e) * (norm2 + e)
                    param.data.add_(r_at)
                    param.data = torch.min(torch.max(param.data, self.backup_eps[name][0]), self.backup_eps[name][1])

    def _save(self):
        for name, param in self.model.named_parameters():
            if param.requires_grad and param.grad is not None and self.adv_param in name:
                if name not in self.backup:
                    self.backup[name] = param.data.clone()
                    grad_eps = self.adv_eps * param.abs().detach()
                    self.backup_eps[name] = (self.backup[name] - grad_eps, self.backup[name] + grad_eps)

    def _restore(self):
        for name, param in self.model.named_parameters():
            if name in self.backup:
                param.data = self.backup[name]
        self.backup = {}
        self.backup_eps = {}


def write(case, adv_param, adv_lr, adv_eps, gradient):
    source = FIXTURES / "heads" / "bert-cross"
    model, parameters, _ = heads.build("cross", "bert")
    parameters.load_state_dict(safetensors.torch.load_file(source / "initial.safetensors"), strict=True)
    reference = safetensors.torch.load_file(source / "reference.safetensors")
    named = list(parameters.named_parameters())
    optimizer = torch.optim.AdamW(
        [{"params": [p for n, p in named if not heads.exempt(n)], "weight_decay": 0.01},
         {"params": [p for n, p in named if heads.exempt(n)], "weight_decay": 0.0}],
        lr=1e-3, betas=(0.9, 0.999), eps=1e-8, amsgrad=False)
    awp = AWP(parameters, optimizer, adv_param=adv_param, adv_lr=adv_lr, adv_eps=adv_eps, zero_grad=gradient == "adversarial")
    attacked = [n for n, _ in named if adv_param in n]
    out = {}
    clamped = []
    for s in range(heads.STEPS):
        ids, mask, labels = (reference[f"step{s}.{k}"] for k in ("input_ids", "attention_mask", "labels"))

        def loss_function():
            return F.cross_entropy(model(ids, mask), labels, label_smoothing=0.1)

        loss = loss_function()
        loss.backward()
        if s == 0:
            # For the log: the share of attacked elements that end on a bound.
            before = {n: p.detach().clone() for n, p in named}
            awp._save()
            awp._attack_step()
            on_bound = total = 0
            for n, p in named:
                if n in awp.backup:
                    bound = adv_eps * before[n].abs()
                    on_bound += int(((p.detach() - before[n]).abs() >= bound * (1 - 1e-6)).logical_and(bound > 0).sum())
                    total += p.numel()
            awp._restore()
            clamped.append(on_bound / total)
        adv_loss = awp.attack_backward(loss_function)
        torch.nn.utils.clip_grad_norm_([p for _, p in named], max_norm=1.0)
        optimizer.step()
        optimizer.zero_grad()
        out[f"step{s}.loss"] = loss.detach().reshape([]).float()
        out[f"step{s}.adversarial_loss"] = adv_loss.detach().reshape([]).float()
    for name, value in heads.parameter_state(parameters).items():
        out[f"final.{name}"] = value
    path = OUT / f"{case}.safetensors"
    safetensors.torch.save_file(out, path, metadata={"format": "pt"})
    losses = [(round(out[f"step{s}.loss"].item(), 6), round(out[f"step{s}.adversarial_loss"].item(), 6)) for s in range(heads.STEPS)]
    print(f"{case}: {path.stat().st_size} bytes; {len(attacked)} parameters attacked; on a bound at step 0: "
          f"{clamped[0]:.3f}; (loss, adversarial loss) per step {losses}")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for case, arguments in CASES.items():
        write(case, **arguments)
