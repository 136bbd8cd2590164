"""The fast CPU model against the same steps in Python, in one run, on the same files and folds.

    swift build -c release && tools/setup-python.sh
    .venv/bin/python benchmarks/cpu_model_side_by_side.py

Swift: `arena train --model gbdt` (122 hand features; XGBoost hist through the C API; swap
augmentation, early stopping on 10% of each fold's training rows, swap averaging) on 57,477
synthetic rows, then `arena predict` of 25,000 rows.
Python, the same protocol in the notebooks' stack: pandas read_csv + json.loads, the 21
length/structure features of benchmarks/python_baselines.py (numpy), xgboost 1.7.4 with the
same parameters, the same folds (benchmarks/folds.py), swapped copies, early stopping on a
stratified 10% of each fold's training rows, swap averaging; then prediction of 25,000 rows.
Prints a Markdown table with wall seconds per step and the ratio Python / Swift.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from folds import labels_from_frame, stratified_folds  # noqa: E402
from python_baselines import read_battles, structure_features  # noqa: E402

ARENA = ROOT / ".build" / "release" / "arena"
PARAMS = {  # FeatureModelSettings.defaults(for: .gbdt)
    "objective": "multi:softprob", "num_class": 3, "tree_method": "hist", "eta": 0.05, "max_depth": 4,
    "min_child_weight": 5, "subsample": 0.8, "colsample_bytree": 0.5, "lambda": 5, "seed": 0,
    "eval_metric": "mlogloss", "nthread": 2,
}
ROUNDS, EARLY_STOPPING, VALIDATION_FRACTION = 1000, 50, 0.1
SIDE = 7  # per-side columns of structure_features: [log a (7), log b (7), log a - log b (7)]


def swap(features):
    """The features of the A/B-swapped battles: a and b blocks exchanged, differences negated."""
    return np.hstack([features[:, SIDE:2 * SIDE], features[:, :SIDE], -features[:, 2 * SIDE:]])


def swap_labels(labels):
    return np.array([1, 0, 2])[labels]


def stratified_holdout(labels, fraction, seed):
    rng = np.random.default_rng(seed)
    held = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        rng.shuffle(rows)
        held.extend(rows[: int(round(len(rows) * fraction))])
    mask = np.zeros(len(labels), dtype=bool)
    mask[held] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def predict_swap_averaged(booster, xgboost, features):
    direct = booster.predict(xgboost.DMatrix(features), iteration_range=(0, booster.best_iteration + 1))
    mirrored = booster.predict(xgboost.DMatrix(swap(features)), iteration_range=(0, booster.best_iteration + 1))
    return (direct + mirrored[:, [1, 0, 2]]) / 2


def python_side(train_path, test_path, folds, seed):
    import xgboost

    times = {}
    start = time.perf_counter()
    frame, texts_a, texts_b = read_battles(train_path)
    times["read 57,477 rows"] = time.perf_counter() - start
    start = time.perf_counter()
    features = structure_features(texts_a, texts_b)
    times["features"] = time.perf_counter() - start
    labels = labels_from_frame(frame)
    assignment = np.array(stratified_folds(list(labels), folds, seed))

    start = time.perf_counter()
    oof = np.zeros((len(labels), 3))
    models = []
    for fold in range(folds):
        train_rows = np.flatnonzero(assignment != fold)
        held_out = np.flatnonzero(assignment == fold)
        inner, valid = stratified_holdout(labels[train_rows], VALIDATION_FRACTION, seed + fold)
        inner, valid = train_rows[inner], train_rows[valid]
        dtrain = xgboost.DMatrix(
            np.vstack([features[inner], swap(features[inner])]),
            label=np.concatenate([labels[inner], swap_labels(labels[inner])]))
        dvalid = xgboost.DMatrix(
            np.vstack([features[valid], swap(features[valid])]),
            label=np.concatenate([labels[valid], swap_labels(labels[valid])]))
        booster = xgboost.train(
            PARAMS, dtrain, ROUNDS, evals=[(dvalid, "valid")], early_stopping_rounds=EARLY_STOPPING,
            verbose_eval=False)
        oof[held_out] = predict_swap_averaged(booster, xgboost, features[held_out])
        models.append(booster)
    times["5-fold training"] = time.perf_counter() - start
    clipped = np.clip(oof, 1e-15, 1 - 1e-15)
    clipped /= clipped.sum(axis=1, keepdims=True)
    loss = float(-np.mean(np.log(clipped[np.arange(len(labels)), labels])))

    start = time.perf_counter()
    _, test_a, test_b = read_battles(test_path)
    test_features = structure_features(test_a, test_b)
    predictions = np.mean([predict_swap_averaged(m, xgboost, test_features) for m in models], axis=0)
    times["predict 25,000 rows"] = time.perf_counter() - start
    assert predictions.shape == (len(test_a), 3)
    return times, loss


def swift_side(train_path, test_path, folds, seed, work):
    times = {}
    start = time.perf_counter()
    result = subprocess.run(
        [str(ARENA), "train", "--data", str(train_path), "--model", "gbdt", "--folds", str(folds), "--seed", str(seed),
         "--out", str(work / "runs" / "side-by-side-gbdt"), "--overwrite"],
        capture_output=True, text=True, check=True)
    total = time.perf_counter() - start
    feature_line = re.search(r"features: \d+ rows in (\d+):(\d+)", result.stderr)
    feature_seconds = int(feature_line.group(1)) * 60 + int(feature_line.group(2))
    times["read 57,477 rows + features (arena train log, whole seconds)"] = feature_seconds
    times["5-fold training (train command minus the above)"] = total - feature_seconds
    times["train command in all"] = total
    metrics = json.loads((work / "runs" / "side-by-side-gbdt" / "metrics.json").read_text())
    start = time.perf_counter()
    subprocess.run(
        [str(ARENA), "predict", "--run", str(work / "runs" / "side-by-side-gbdt"), "--data", str(test_path),
         "--out", str(work / "side-by-side-submission.csv"), "--quiet"], check=True)
    times["predict 25,000 rows"] = time.perf_counter() - start
    step = {s["step"]: s["log_loss"] for s in metrics.get("steps", [])}
    return times, step.get("model", metrics["oof_log_loss"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    work = ROOT / "work" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    train_path, test_path = work / "synthetic-57k.csv", work / "synthetic-25k.csv"
    if not train_path.exists():
        subprocess.run([str(ARENA), "synth", "--rows", "57477", "--seed", "0", "--out", str(train_path)], check=True)
    if not test_path.exists():
        subprocess.run([str(ARENA), "synth", "--rows", "25000", "--seed", "1", "--out", str(test_path)], check=True)

    load = os.getloadavg()[0]
    swift_times, swift_loss = swift_side(train_path, test_path, args.folds, args.seed, work)
    python_times, python_loss = python_side(train_path, test_path, args.folds, args.seed)
    print(f"load average at start {load:.2f}, at end {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores")
    print()
    print("| step | arena (Swift) s | Python s |")
    print("| --- | --- | --- |")
    swift_features = swift_times["read 57,477 rows + features (arena train log, whole seconds)"]
    python_features = python_times["read 57,477 rows"] + python_times["features"]
    rows = [
        ("read + features, 57,477 rows", swift_features, python_features),
        ("5-fold training", swift_times["5-fold training (train command minus the above)"], python_times["5-fold training"]),
        ("predict 25,000 rows (read, features, 5 models)", swift_times["predict 25,000 rows"], python_times["predict 25,000 rows"]),
    ]
    for name, swift, python in rows:
        print(f"| {name} | {swift:.1f} | {python:.1f} |")
    print()
    print(f"out-of-fold log loss before calibration: arena {swift_loss:.4f} (122 features), Python {python_loss:.4f} (21 features)")
    for name, swift, python in rows:
        print(f"ratio Python / arena, {name}: {python / max(swift, 0.5):.2f}x")


if __name__ == "__main__":
    main()
