"""The project's fold assignment in Python, bit for bit, so Python pipelines run on exactly the
folds `arena train` uses.

Mirrors Sources/ArenaData/Random.swift (SeededRandom: SplitMix64; nextInt(below:) = high 64 bits
of bound * next(); Fisher-Yates from the last index down, swapping only when the indices differ)
and Sources/ArenaData/Folds.swift (StratifiedKFold.assign: rows grouped by label, labels in
ascending order, every group shuffled by ONE generator seeded once, then dealt round-robin with
the counter carried across classes). Labels are class indices: A=0, B=1, tie=2.

Check against a Swift run folder:
    python benchmarks/folds.py --check /tmp/prior-0/oof.csv --seed 0 \
        [--data /work/shared/data/arena-sample/train.csv]
"""
import argparse
import csv
import sys

MASK64 = (1 << 64) - 1


class SeededRandom:
    """SplitMix64 (Steele et al. 2014), as SeededRandom in Random.swift."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def next_int(self, bound):
        if bound <= 0:
            raise ValueError("bound must be positive")
        return (bound * self.next()) >> 64

    def shuffle(self, elements):
        for index in range(len(elements) - 1, 0, -1):
            other = self.next_int(index + 1)
            if other != index:
                elements[index], elements[other] = elements[other], elements[index]


def stratified_folds(labels, folds, seed):
    """The fold (0..folds-1) of each row, as StratifiedKFold.assign in Folds.swift."""
    labels = [int(label) for label in labels]
    if folds < 2:
        raise ValueError(f"the number of folds must be at least 2 (got {folds})")
    if len(labels) < folds:
        raise ValueError(f"{len(labels)} rows cannot be split into {folds} folds")
    random = SeededRandom(seed)
    by_class = {}
    for row, label in enumerate(labels):
        by_class.setdefault(label, []).append(row)
    assignment = [0] * len(labels)
    counter = 0
    for label in sorted(by_class):
        rows = list(by_class[label])
        random.shuffle(rows)
        for row in rows:
            assignment[row] = counter
            counter = (counter + 1) % folds
    return assignment


def labels_from_frame(frame):
    """Class indices (A=0, B=1, tie=2) from the Kaggle winner columns of a pandas frame."""
    import numpy as np

    onehot = frame[["winner_model_a", "winner_model_b", "winner_tie"]].to_numpy()
    if not (onehot.sum(axis=1) == 1).all():
        raise ValueError("every row needs exactly one winner flag")
    return np.argmax(onehot, axis=1)


_LABEL_NAMES = {"model_a": 0, "model_b": 1, "tie": 2}


def _label(text):
    """oof.csv's label column: "model_a" / "model_b" / "tie" (or a class index)."""
    return _LABEL_NAMES[text] if text in _LABEL_NAMES else int(text)


def _check(oof_path, seed, data_path):
    with open(oof_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids = [row["id"] for row in rows]
    swift_folds = [int(row["fold"]) for row in rows]
    if data_path:
        import pandas as pd

        frame = pd.read_csv(data_path, dtype={"id": str})
        if list(frame["id"]) != ids:
            print("FAIL: the data file's ids differ from oof.csv's (order or content)")
            return 1
        labels = list(labels_from_frame(frame))
        oof_labels = [_label(row["label"]) for row in rows] if "label" in rows[0] else labels
        if oof_labels != labels:
            print("FAIL: labels from the data file differ from oof.csv's label column")
            return 1
    else:
        labels = [_label(row["label"]) for row in rows]
    folds = max(swift_folds) + 1
    ours = stratified_folds(labels, folds, seed)
    mismatches = sum(a != b for a, b in zip(ours, swift_folds))
    sizes = [ours.count(f) for f in range(folds)]
    if mismatches:
        print(f"FAIL: seed {seed}: {mismatches} of {len(ours)} rows in a different fold")
        return 1
    print(f"OK: seed {seed}: all {len(ours)} rows in the same fold as {oof_path} ({folds} folds, sizes {sizes})")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", required=True, help="oof.csv of an `arena train` run (columns id,fold,label,...)")
    parser.add_argument("--seed", type=int, required=True, help="the --seed of that run")
    parser.add_argument("--data", help="the CSV trained on; if given, labels come from it (and ids are compared)")
    args = parser.parse_args()
    sys.exit(_check(args.check, args.seed, args.data))


if __name__ == "__main__":
    main()
