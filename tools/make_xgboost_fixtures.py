#!/usr/bin/env python3
"""Writes Tests/BoostingTests/Fixtures/xgboost.json, the reference values for the Swift Boosting module.

Run with the pinned environment (tools/requirements.txt, made by tools/setup-python.sh):

    .venv/bin/python tools/make_xgboost_fixtures.py

The xgboost wheel is pinned to 1.7.4, the version of Debian's libxgboost-dev that Swift links, so
both sides run the same C++ code. A seeded 3-class data set (300 rows x 8 features, the first 200
for training and the last 100 for validation) is written twice: dense, with a few missing values,
and as CSR rows in which most entries are absent. Each case trains with `xgboost.train`, an
evaluation set named "valid" and early stopping, and records the validation log-loss history, the
best iteration and the predictions on all 300 rows.

Floats are written as the exact decimal of the float32 value (the repr of its float64 widening),
so Swift reads back the very same bits. Missing dense values are written as null.
"""

import json
import pathlib
import platform
import sys

import numpy as np
import scipy.sparse
import xgboost as xgb

OUTPUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/BoostingTests/Fixtures/xgboost.json"
ROWS, COLUMNS, CLASSES, TRAINING_ROWS = 300, 8, 3, 200
FEATURE_NAMES = [f"x{index}" for index in range(COLUMNS)]


def make_data():
    rng = np.random.default_rng(20240607)
    features = rng.normal(size=(ROWS, COLUMNS)).astype(np.float32)
    weights = rng.normal(size=(COLUMNS, CLASSES))
    # Labels drawn from softmax(features @ weights): learnable, but noisy enough to overfit.
    logits = features.astype(np.float64) @ weights + rng.gumbel(size=(ROWS, CLASSES)) * 1.5
    labels = logits.argmax(axis=1).astype(np.float32)
    dense = features.copy()
    dense[rng.uniform(size=dense.shape) < 0.05] = np.nan
    # The sparse version keeps only the entries far from zero (about a third of them).
    sparse = scipy.sparse.csr_matrix(np.where(np.abs(features) > 1.0, features, 0.0).astype(np.float32))
    sparse.sort_indices()
    return dense, sparse, labels


def exact(values):
    """float32 values as the float64 decimals that round-trip to the same float32 bits."""
    return [None if np.isnan(value) else float(value) for value in np.asarray(values, dtype=np.float32).ravel()]


def tree_parameters(seed):
    # The exact strings BoosterParameters.dictionary renders for the same settings.
    return {
        "booster": "gbtree", "objective": "multi:softprob", "num_class": "3", "tree_method": "hist",
        "eta": "0.3", "max_depth": "4", "min_child_weight": "1.0", "subsample": "0.8",
        "colsample_bytree": "0.8", "lambda": "1.0", "alpha": "0.0", "seed": str(seed), "nthread": "1",
        "eval_metric": "mlogloss",
    }


def linear_parameters():
    return {
        "booster": "gblinear", "objective": "multi:softprob", "num_class": "3", "updater": "coord_descent",
        "feature_selector": "cyclic", "eta": "0.5", "lambda": "0.1", "alpha": "0.01", "seed": "0",
        "nthread": "1", "eval_metric": "mlogloss",
    }


def train(parameters, training, validation, rounds, early_stopping_rounds):
    history = {}
    booster = xgb.train(parameters, training, num_boost_round=rounds, evals=[(validation, "valid")],
                        early_stopping_rounds=early_stopping_rounds, evals_result=history, verbose_eval=False)
    return booster, history["valid"]["mlogloss"]


def run_case(name, kind, parameters, matrices, rounds, early_stopping_rounds):
    training, validation, everything = matrices
    booster, history = train(parameters, training, validation, rounds, early_stopping_rounds)
    best = int(booster.attr("best_iteration"))
    if parameters["booster"] == "gblinear":
        # gblinear ignores iteration_range (a linear model keeps one weight vector, not one per
        # round), so the model "at the best iteration" is the one trained for best + 1 rounds;
        # coord_descent with the cyclic selector is deterministic, so retraining reproduces it.
        best_model, _ = train(parameters, training, validation, best + 1, None)
        best_predictions = best_model.predict(everything)
    else:
        best_predictions = booster.predict(everything, iteration_range=(0, best + 1))
    record = {
        "name": name,
        "data": kind,
        "parameters": parameters,
        "rounds": rounds,
        "early_stopping_rounds": early_stopping_rounds,
        "boosted_rounds": booster.num_boosted_rounds(),
        "validation_loss": history,
        "best_iteration": best,
        "best_score": booster.attr("best_score"),
        "predictions_at_best": exact(best_predictions),
        "predictions_all_rounds": exact(booster.predict(everything)),
    }
    booster.feature_names = FEATURE_NAMES
    if parameters["booster"] == "gbtree":
        record["gain"] = {key: exact([value])[0] for key, value in booster.get_score(importance_type="gain").items()}
    else:
        # Small enough to keep: Swift loads a model that Python wrote.
        record["model_json"] = booster.save_raw(raw_format="json").decode()
    print(f"{name}: {booster.num_boosted_rounds()} rounds, best iteration {best}", file=sys.stderr)
    return record


def main():
    dense, sparse, labels = make_data()
    splits = (slice(0, TRAINING_ROWS), slice(TRAINING_ROWS, ROWS), slice(0, ROWS))

    def matrices(data):
        result = []
        for rows in splits:
            matrix = xgb.DMatrix(data[rows], label=labels[rows])
            result.append(matrix)
        return result

    dense_matrices, sparse_matrices = matrices(dense), matrices(sparse)
    cases = [
        run_case("dense_hist", "dense", tree_parameters(7), dense_matrices, 60, 5),
        run_case("csr_hist", "csr", tree_parameters(11), sparse_matrices, 30, 3),
        run_case("gblinear", "dense", linear_parameters(), dense_matrices, 60, 2),
    ]
    document = {
        "generator": "tools/make_xgboost_fixtures.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "xgboost": xgb.__version__},
        "rows": ROWS,
        "columns": COLUMNS,
        "training_rows": TRAINING_ROWS,
        "feature_names": FEATURE_NAMES,
        "labels": exact(labels),
        "dense": exact(dense),
        "csr": {
            "row_offsets": sparse.indptr.tolist(),
            "column_indices": sparse.indices.tolist(),
            "values": exact(sparse.data),
        },
        "cases": cases,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(document, separators=(",", ":")) + "\n")
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
