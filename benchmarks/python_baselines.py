"""Python reference pipelines (DESIGN.md, "Figures measured..."), scored by k-fold out-of-fold
log loss on exactly the folds `arena train --folds K --seed S` uses (benchmarks/folds.py).

    .venv/bin/python benchmarks/python_baselines.py \
        --data /work/shared/data/arena-sample/train.csv --folds 5 --seeds 0 1 2 --json out.json

Pipelines (fixed hyperparameters, nothing tuned on held-out folds):
  prior     class frequencies of the training folds.
  features  the 21 length/structure features below + StandardScaler + LogisticRegression
            (lbfgs, C=1.0, max_iter=2000).
  tfidf     TfidfVectorizer(word 1-2-grams, sublinear_tf, min_df=1), fitted on the training
            folds' response A and response B texts; TF-IDF(A) - TF-IDF(B), joined with the
            standardized features; LogisticRegression (C=1.0, max_iter=2000).
  lightgbm  the features, LGBMClassifier with 100 trees, learning rate 0.05, 15 leaves (other
            settings default: min_child_samples 20, no depth limit), 2 threads. DESIGN.md does
            not give the reference's settings; this conventional small setting lands on its
            1.128. LightGBM's plain defaults (lr 0.1, 31 leaves) overfit far more: ~1.42.
  lightgbm-defaults  the same with LGBMClassifier's defaults, for that comparison.
  xgboost   the features, XGBClassifier tree_method=hist, 100 rounds, max_depth 6, eta 0.1,
            2 threads.

Features (all turns of a response joined with "\n"; a null turn is ""; a cell that fails
json.loads counts as one turn holding the raw text): per side, log1p of characters, words,
lines, list items (lines starting with -, *, +, a bullet or "1." / "1)"), Markdown headers,
fenced code blocks and question marks (7 x 2), and the A - B difference of each log1p count
(7; a log ratio, which is what makes a linear model work here: raw count differences give
1.072 instead of 1.05 on the 1,000-row sample).
"""
import argparse
import json
import math
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from folds import labels_from_frame, stratified_folds  # noqa: E402

COUNT_NAMES = ["chars", "words", "lines", "list_items", "headers", "code_blocks", "question_marks"]
FEATURE_NAMES = (
    [f"log1p_{name}_a" for name in COUNT_NAMES]
    + [f"log1p_{name}_b" for name in COUNT_NAMES]
    + [f"log1p_{name}_a_minus_b" for name in COUNT_NAMES]
)
_LIST_ITEM = re.compile(r"(?m)^[ \t]*(?:[-*+\u2022]|\d+[.)])[ \t]+")
_HEADER = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]")


def turns(cell):
    """The turns of a JSON list-of-turns cell; the raw text as one turn when it does not decode."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return [""]
    try:
        value = json.loads(cell)
    except (json.JSONDecodeError, TypeError):
        return [str(cell)]
    if isinstance(value, list):
        return ["" if turn is None else str(turn) for turn in value]
    return ["" if value is None else str(value)]


def joined(cell):
    return "\n".join(turns(cell))


def read_battles(path):
    """(frame, response A texts, response B texts) with every turn of a response joined by "\\n"."""
    frame = pd.read_csv(path, dtype={"id": str}, keep_default_na=False)
    texts_a = [joined(cell) for cell in frame["response_a"]]
    texts_b = [joined(cell) for cell in frame["response_b"]]
    return frame, texts_a, texts_b


def counts(text):
    return [
        len(text),
        len(text.split()),
        text.count("\n") + 1 if text else 0,
        len(_LIST_ITEM.findall(text)),
        len(_HEADER.findall(text)),
        text.count("```") // 2,
        text.count("?"),
    ]


def structure_features(texts_a, texts_b):
    """The 21 features (FEATURE_NAMES) of each row, as a float64 array."""
    a = np.array([counts(t) for t in texts_a], dtype=np.float64).reshape(-1, len(COUNT_NAMES))
    b = np.array([counts(t) for t in texts_b], dtype=np.float64).reshape(-1, len(COUNT_NAMES))
    log_a, log_b = np.log1p(a), np.log1p(b)
    return np.hstack([log_a, log_b, log_a - log_b])


# ---- pipelines: fit on training rows, return P(A), P(B), P(tie) for held-out rows ----------


def run_prior(data, train, test):
    counts_ = np.bincount(data["y"][train], minlength=3).astype(np.float64)
    return np.tile(counts_ / counts_.sum(), (len(test), 1))


def _logistic():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=2000)


def run_features(data, train, test):
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(data["X"][train])
    model = _logistic().fit(scaler.transform(data["X"][train]), data["y"][train])
    return model.predict_proba(scaler.transform(data["X"][test]))


def run_tfidf(data, train, test):
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import StandardScaler

    a, b = data["texts_a"], data["texts_b"]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float64)
    vectorizer.fit([a[i] for i in train] + [b[i] for i in train])

    def design(rows, scaler):
        diff = vectorizer.transform([a[i] for i in rows]) - vectorizer.transform([b[i] for i in rows])
        return sparse.hstack([diff, sparse.csr_matrix(scaler.transform(data["X"][rows]))]).tocsr()

    scaler = StandardScaler().fit(data["X"][train])
    model = _logistic().fit(design(train, scaler), data["y"][train])
    return model.predict_proba(design(test, scaler))


def run_lightgbm(data, train, test, **settings):
    import lightgbm

    settings = settings or {"n_estimators": 100, "learning_rate": 0.05, "num_leaves": 15}
    model = lightgbm.LGBMClassifier(n_jobs=2, verbose=-1, random_state=0, **settings)
    model.fit(data["X"][train], data["y"][train])
    return model.predict_proba(data["X"][test])


def run_lightgbm_defaults(data, train, test):
    return run_lightgbm(data, train, test, n_estimators=100, learning_rate=0.1, num_leaves=31)


def run_xgboost(data, train, test):
    import xgboost

    model = xgboost.XGBClassifier(
        tree_method="hist", n_estimators=100, max_depth=6, learning_rate=0.1,
        objective="multi:softprob", n_jobs=2, random_state=0)
    model.fit(data["X"][train], data["y"][train])
    return model.predict_proba(data["X"][test])


PIPELINES = {
    "prior": ("class prior", run_prior),
    "features": ("21 length/structure features + StandardScaler + LogisticRegression (C=1)", run_features),
    "tfidf": ("TF-IDF(A) - TF-IDF(B), word 1-2-grams, + features + LogisticRegression (C=1)", run_tfidf),
    "lightgbm": ("features + LightGBM (100 trees, lr 0.05, 15 leaves)", run_lightgbm),
    "lightgbm-defaults": ("features + LightGBM defaults (100 trees, lr 0.1, 31 leaves)", run_lightgbm_defaults),
    "xgboost": ("features + XGBoost hist (100 rounds, depth 6, eta 0.1)", run_xgboost),
}


def log_loss(probabilities, labels):
    """Mean negative log probability of the true class, probabilities clipped to [1e-15, 1]
    and renormalized (sklearn's convention)."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-15, 1.0)
    p = p / p.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(p[np.arange(len(labels)), labels])))


def cross_validate(data, folds, seed, fit_predict):
    assignment = np.array(stratified_folds(data["y"], folds, seed))
    oof = np.zeros((len(data["y"]), 3))
    per_fold = []
    for fold in range(folds):
        train = np.flatnonzero(assignment != fold)
        test = np.flatnonzero(assignment == fold)
        oof[test] = fit_predict(data, train, test)
        per_fold.append(log_loss(oof[test], data["y"][test]))
    return log_loss(oof, data["y"]), per_fold


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--pipelines", nargs="+", default=list(PIPELINES), choices=list(PIPELINES))
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()

    frame, texts_a, texts_b = read_battles(args.data)
    data = {
        "y": np.asarray(labels_from_frame(frame)),
        "X": structure_features(texts_a, texts_b),
        "texts_a": texts_a,
        "texts_b": texts_b,
    }
    results = {}
    for key in args.pipelines:
        description, fit_predict = PIPELINES[key]
        started = time.perf_counter()
        by_seed = {}
        for seed in args.seeds:
            oof, per_fold = cross_validate(data, args.folds, seed, fit_predict)
            by_seed[str(seed)] = {"oof_log_loss": oof, "fold_log_loss": per_fold}
        values = [v["oof_log_loss"] for v in by_seed.values()]
        results[key] = {
            "description": description,
            "seeds": by_seed,
            "mean": statistics.fmean(values),
            "std": statistics.stdev(values) if len(values) > 1 else 0.0,
            "seconds": time.perf_counter() - started,
        }
        print(f"{key}: {' '.join(f'{v:.4f}' for v in values)} ({results[key]['seconds']:.1f} s)", file=sys.stderr)

    print(f"{len(frame)} rows of {args.data}, {args.folds}-fold out-of-fold log loss "
          f"(folds of `arena train --seed S`; std over seeds, n-1)\n")
    print("| pipeline | " + " | ".join(f"seed {s}" for s in args.seeds) + " | mean ± std |")
    print("|---|" + "---:|" * (len(args.seeds) + 1))
    for key, result in results.items():
        cells = [f"{result['seeds'][str(s)]['oof_log_loss']:.4f}" for s in args.seeds]
        print(f"| {result['description']} | " + " | ".join(cells) + f" | {result['mean']:.4f} ± {result['std']:.4f} |")

    if args.json:
        import lightgbm
        import sklearn
        import xgboost

        Path(args.json).write_text(json.dumps({
            "data": args.data, "rows": len(frame), "folds": args.folds, "seeds": args.seeds,
            "features": FEATURE_NAMES,
            "versions": {"numpy": np.__version__, "pandas": pd.__version__, "sklearn": sklearn.__version__,
                         "lightgbm": lightgbm.__version__, "xgboost": xgboost.__version__},
            "pipelines": results,
        }, indent=2) + "\n")


if __name__ == "__main__":
    main()
