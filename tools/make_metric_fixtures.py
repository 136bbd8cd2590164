#!/usr/bin/env python3
"""Writes Tests/EvaluationTests/Fixtures/metrics.json, the reference values for the Swift metrics.

Run with the pinned environment (tools/requirements.txt, made by tools/setup-python.sh):

    .venv/bin/python tools/make_metric_fixtures.py

Log loss, accuracy and the confusion matrix come from scikit-learn, the way Kaggle scored the
competition. Expected calibration error has no scikit-learn function; it is computed here in
numpy with the bin rule of `Metrics.expectedCalibrationError`.
"""

import json
import pathlib
import platform
import sys
import warnings

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, confusion_matrix, log_loss

EPSILON = 1e-15
CLASSES = [0, 1, 2]
ECE_BINS = 15
OUTPUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/EvaluationTests/Fixtures/metrics.json"


def sklearn_log_loss(labels, probabilities):
    # scikit-learn 1.4 deprecates `eps` (FutureWarning) and warns when rows do not sum to 1
    # (UserWarning); it still clips and then renormalises, which is what Kaggle's scorer did.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        return float(log_loss(labels, probabilities, eps=EPSILON, labels=CLASSES))


def clip_then_renormalise_log_loss(labels, probabilities):
    clipped = np.clip(probabilities, EPSILON, 1 - EPSILON)
    clipped = clipped / clipped.sum(axis=1, keepdims=True)
    return float(-np.log(clipped[np.arange(len(labels)), labels]).mean())


def expected_calibration_error(labels, probabilities, bins=ECE_BINS):
    """Top-label ECE: bin i holds confidences in (i/bins, (i+1)/bins]; the first bin also holds 0
    and the last bin anything above 1. Sum over bins of (n_bin / N) * |accuracy - confidence|."""
    confidence = probabilities.max(axis=1)
    correct = (probabilities.argmax(axis=1) == labels).astype(np.float64)
    boundaries = np.linspace(0.0, 1.0, bins + 1)
    # The number of interior boundaries strictly below the confidence is its bin.
    bin_of_row = np.searchsorted(boundaries[1:-1], confidence, side="left")
    total = 0.0
    for index in range(bins):
        members = bin_of_row == index
        count = int(members.sum())
        if count == 0:
            continue
        total += count / len(labels) * abs(correct[members].mean() - confidence[members].mean())
    return float(total)


def make_cases():
    rng = np.random.default_rng(20240501)
    cases = []

    def add(name, probabilities, labels, note):
        cases.append((name, np.asarray(probabilities, dtype=np.float64), np.asarray(labels, dtype=np.int64), note))

    add("dirichlet_50", rng.dirichlet([1.0, 1.0, 1.0], size=50), rng.integers(0, 3, size=50),
        "random rows on the simplex")
    add("dirichlet_skewed_400", rng.dirichlet([4.0, 4.0, 1.5], size=400), rng.integers(0, 3, size=400),
        "many rows, close to the competition's class balance")
    add("unnormalised_20", rng.uniform(0.0, 1.0, size=(20, 3)), rng.integers(0, 3, size=20),
        "rows that do not sum to 1 (renormalised after clipping)")
    add("scaled_above_one_10", rng.uniform(0.0, 3.0, size=(10, 3)), rng.integers(0, 3, size=10),
        "values above 1 (clipped to 1 - eps)")
    add("zeros_and_ones", [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 0]], [0, 1, 2, 1, 0, 2],
        "exact zeros and ones, half right and half wrong")
    add("perfect", np.eye(3)[[0, 1, 2, 2, 1, 0, 0]], [0, 1, 2, 2, 1, 0, 0], "one-hot and right every time")
    add("confidently_wrong", np.eye(3)[[1, 2, 0, 0, 2]], [0, 1, 2, 1, 0], "one-hot and wrong every time")
    add("single_row", [[0.2, 0.5, 0.3]], [1], "one row")
    add("class_absent", rng.dirichlet([2.0, 2.0, 2.0], size=30), rng.integers(0, 2, size=30),
        "no row of class 2 (tie)")
    add("uniform", np.full((9, 3), 1.0 / 3.0), [0, 1, 2, 0, 1, 2, 0, 0, 1], "1/3 everywhere: log loss ln 3")
    add("tiny_probabilities", [[1e-20, 0.5, 0.5], [1e-16, 1e-16, 1.0], [0.3, 1e-300, 0.7], [5e-16, 0.4, 0.6]],
        [0, 0, 1, 0], "values below eps (clipped up to eps)")
    add("argmax_ties", [[0.4, 0.4, 0.2], [0.3, 0.35, 0.35], [0.5, 0.5, 0.0], [0.25, 0.25, 0.5], [1 / 3, 1 / 3, 1 / 3]],
        [1, 2, 0, 2, 2], "equal maxima (argmax takes the lowest index)")
    add("bin_edges", [[0.2, 0.4, 0.4], [0.6, 0.2, 0.2], [0.4, 0.6, 0.0], [1 / 15 * 8, 1 / 15 * 7, 0.0],
                      [0.8, 0.1, 0.1], [1.0, 0.0, 0.0]],
        [0, 0, 1, 1, 0, 2], "confidences on bin boundaries")
    return cases


def main():
    records = []
    for name, probabilities, labels, note in make_cases():
        loss = sklearn_log_loss(labels, probabilities)
        reference = clip_then_renormalise_log_loss(labels, probabilities)
        # Guards against a scikit-learn that stopped renormalising: the stored value must be the
        # clip-then-renormalise log loss.
        assert abs(loss - reference) <= 1e-13 * max(1.0, abs(reference)), (name, loss, reference)
        predicted = probabilities.argmax(axis=1)
        records.append({
            "name": name,
            "note": note,
            "probabilities": probabilities.tolist(),
            "labels": labels.tolist(),
            "log_loss": loss,
            "accuracy": float(accuracy_score(labels, predicted)),
            "confusion_matrix": confusion_matrix(labels, predicted, labels=CLASSES).tolist(),
            "ece": expected_calibration_error(labels, probabilities),
        })
    document = {
        "generator": "tools/make_metric_fixtures.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "epsilon": EPSILON,
        "ece_bins": ECE_BINS,
        "cases": records,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    # json writes floats with repr, the shortest string that round-trips.
    OUTPUT.write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {len(records)} cases to {OUTPUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
