"""Python speed reference for issue 3: wall seconds of feature extraction, 5-fold XGBoost training
and prediction, on the synthetic 57,477-row file (the size of the Kaggle train.csv).

    swift build -c release --scratch-path .build-py
    .venv/bin/python benchmarks/python_speed.py --json work/bench/python-speed.json

The file is made with `.build-py/release/arena synth --rows 57477 --seed 0 --out
work/bench/synthetic-57k.csv` when it is missing.

Steps (each timed on its own, wall clock, 2 threads / processes at most):
  read      pandas.read_csv + json.loads of the response cells, all turns joined with "\\n".
  features  the 21 length/structure features of benchmarks/python_baselines.py, plus for
            responses A and B a HashingVectorizer (2^18 features, alternate_sign off, no norm)
            of word 1-2-grams and one of char 3-5-grams, each followed by a TfidfTransformer
            (sublinear_tf) fitted on all rows' A and B; the design matrix is
            [features | word TF-IDF(A) - TF-IDF(B) | char TF-IDF(A) - TF-IDF(B)], CSR float32.
            The text hashing runs in --jobs processes (joblib), split in row chunks.
  train     5-fold (the folds of `arena train --seed S`) XGBoost 1.7 hist, multi:softprob,
            max_depth 6, eta 0.1, nthread 2, default max_bin 256, --rounds rounds per fold
            (DMatrix build included), plus predicting each held-out fold (out-of-fold log loss).
  predict   --predict-rows rows (the first rows of the file, texts only): features with the
            fitted transformers + the average of the 5 fold models' predictions.

XGBoost gets the 21 features and the --columns (4096) hashed TF-IDF-difference columns with the
most non-zeros over all rows (unsupervised); all 2^19 columns need > 16 GB and ~30 s a round
even on 5,000 rows here. Before the training, a probe trains --probe-rounds rounds on fold 0
and extrapolates to 5 folds x --rounds rounds; when that is above --train-budget seconds the
round count is cut to fit, and the output says so (requested and run rounds, the estimate).
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from folds import labels_from_frame, stratified_folds  # noqa: E402
from python_baselines import FEATURE_NAMES as FEATURE_NAMES_DENSE  # noqa: E402
from python_baselines import log_loss, read_battles, structure_features  # noqa: E402

HASH_FEATURES = 2 ** 18
ROOT = Path(__file__).resolve().parent.parent


def _hash_chunk(texts, analyzer, ngram_range):
    from sklearn.feature_extraction.text import HashingVectorizer

    vectorizer = HashingVectorizer(
        n_features=HASH_FEATURES, analyzer=analyzer, ngram_range=ngram_range,
        alternate_sign=False, norm=None, dtype=np.float32)
    return vectorizer.transform(texts)


def hashed_counts(texts, analyzer, ngram_range, jobs):
    """Term counts of `texts` (CSR, 2^18 columns), hashed in `jobs` processes."""
    from scipy import sparse

    if jobs <= 1:
        return _hash_chunk(texts, analyzer, ngram_range)
    from joblib import Parallel, delayed

    chunk = max(1, (len(texts) + 4 * jobs - 1) // (4 * jobs))
    parts = Parallel(n_jobs=jobs)(
        delayed(_hash_chunk)(texts[start:start + chunk], analyzer, ngram_range)
        for start in range(0, len(texts), chunk))
    return sparse.vstack(parts).tocsr()


class Featurizer:
    """The design matrix of the speed run; `fit_transform` fits the two TfidfTransformers."""

    SPACES = (("word", (1, 2)), ("char", (3, 5)))

    def __init__(self, jobs):
        self.jobs = jobs
        self.transformers = {}

    def _matrix(self, texts_a, texts_b, fit):
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfTransformer

        blocks = [sparse.csr_matrix(structure_features(texts_a, texts_b).astype(np.float32))]
        for analyzer, ngram_range in self.SPACES:
            counts_a = hashed_counts(texts_a, analyzer, ngram_range, self.jobs)
            counts_b = hashed_counts(texts_b, analyzer, ngram_range, self.jobs)
            if fit:
                self.transformers[analyzer] = TfidfTransformer(sublinear_tf=True).fit(
                    sparse.vstack([counts_a, counts_b]))
            transformer = self.transformers[analyzer]
            diff = transformer.transform(counts_a) - transformer.transform(counts_b)
            del counts_a, counts_b
            diff.eliminate_zeros()
            blocks.append(diff.astype(np.float32))
        return sparse.hstack(blocks, format="csr", dtype=np.float32)

    def fit_transform(self, texts_a, texts_b):
        return self._matrix(texts_a, texts_b, fit=True)

    def transform(self, texts_a, texts_b):
        return self._matrix(texts_a, texts_b, fit=False)


def xgb_params(args):
    return {"objective": "multi:softprob", "num_class": 3, "tree_method": "hist",
            "max_depth": args.depth, "eta": args.eta, "nthread": args.nthread, "seed": 0,
            "verbosity": 0}


def frequent_columns(design, dense, keep):
    """The `dense` feature columns plus the `keep` sparse columns with the most non-zeros
    (ties by index), sorted; all columns when keep <= 0. Unsupervised: no label is looked at."""
    if keep <= 0 or keep >= design.shape[1] - dense:
        return np.arange(design.shape[1])
    frequency = np.bincount(design.indices, minlength=design.shape[1])[dense:]
    chosen = np.argsort(-frequency, kind="stable")[:keep] + dense
    return np.concatenate([np.arange(dense), np.sort(chosen)])


def probe(xgboost, params, design, labels, rows, probe_rounds, nthread):
    """(DMatrix seconds, set-up seconds, seconds per round) from a short run on `rows`; the
    set-up is what the first round costs beyond the others (hist's quantile sketch)."""
    stamps = []

    class Stamp(xgboost.callback.TrainingCallback):
        def after_iteration(self, model, epoch, evals_log):
            stamps.append(time.perf_counter())
            return False

    started = time.perf_counter()
    matrix = xgboost.DMatrix(design[rows], label=labels[rows], nthread=nthread)
    built = time.perf_counter()
    xgboost.train(params, matrix, num_boost_round=probe_rounds, callbacks=[Stamp()])
    per_round = (stamps[-1] - stamps[0]) / max(1, len(stamps) - 1)
    return built - started, max(0.0, stamps[0] - built - per_round), per_round


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT / "work/bench/synthetic-57k.csv"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0, help="fold seed (as `arena train --seed`)")
    parser.add_argument("--rounds", type=int, default=200, help="rounds requested per fold")
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--eta", type=float, default=0.1)
    parser.add_argument("--nthread", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2, help="processes for the text hashing")
    parser.add_argument("--columns", type=int, default=4096,
                        help="sparse TF-IDF-difference columns given to XGBoost (most non-zeros first); "
                             "0 = all 2^19 (needs >16 GB and hours here)")
    parser.add_argument("--predict-rows", type=int, default=25000)
    parser.add_argument("--probe-rounds", type=int, default=4)
    parser.add_argument("--train-budget", type=float, default=420.0,
                        help="seconds allowed for the 5-fold training; rounds are cut to fit")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    import xgboost

    data = Path(args.data)
    if not data.exists():
        arena = ROOT / ".build-py/release/arena"
        data.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(arena), "synth", "--rows", "57477", "--seed", "0", "--out", str(data)], check=True)

    steps = {}
    notes = []
    load_before = os.getloadavg()[0]

    def log(message):
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    frame, texts_a, texts_b = read_battles(data)
    labels = np.asarray(labels_from_frame(frame))
    steps["read"] = time.perf_counter() - started
    log(f"read {len(frame)} rows in {steps['read']:.1f} s")

    started = time.perf_counter()
    featurizer = Featurizer(args.jobs)
    design = featurizer.fit_transform(texts_a, texts_b)
    steps["features"] = time.perf_counter() - started
    width, nonzeros = design.shape[1], design.nnz
    log(f"features: {design.shape[0]} x {width}, {nonzeros} non-zeros, {steps['features']:.1f} s")

    assignment = np.array(stratified_folds(labels, args.folds, args.seed))
    params = xgb_params(args)

    # Column selection (unsupervised, counted on all rows) and a probe on fold 0 that sizes the
    # training: the full requested run does not fit the budget on this machine.
    probe_started = time.perf_counter()
    dense = len(FEATURE_NAMES_DENSE)
    columns = frequent_columns(design, dense, args.columns)
    design = design[:, columns].tocsr()
    kept_share = design.nnz / nonzeros
    matrix_s, setup_s, per_round = probe(
        xgboost, params, design, labels, np.flatnonzero(assignment != 0), args.probe_rounds, args.nthread)
    fold_cost = lambda rounds: matrix_s + setup_s + rounds * per_round  # noqa: E731
    estimate = args.folds * fold_cost(args.rounds)
    rounds = args.rounds
    if estimate > args.train_budget:
        rounds = max(1, int((args.train_budget / args.folds - matrix_s - setup_s) / per_round))
    steps["probe"] = time.perf_counter() - probe_started
    if len(columns) < width:
        notes.append(
            f"XGBoost gets {len(columns)} of the {width} columns: the {dense} features and the {len(columns) - dense} "
            f"hashed TF-IDF-difference columns with the most non-zeros ({100 * kept_share:.0f}% of the non-zeros). "
            f"All 2^19 columns do not fit: hist's histograms scale with the column count (on a 5,000-row file, "
            f"all columns took 30 s per round and 15.9 GB peak memory).")
    notes.append(
        f"Probe on fold 0 ({args.probe_rounds} rounds): DMatrix {matrix_s:.1f} s, set-up (quantile sketch) "
        f"{setup_s:.1f} s, {per_round:.2f} s per round; {args.folds} folds x {args.rounds} rounds would take "
        f"about {estimate:.0f} s.")
    if rounds < args.rounds:
        notes.append(
            f"That is over the {args.train_budget:.0f} s training budget, so {rounds} rounds per fold were run instead "
            f"of {args.rounds}: the full {args.rounds}-round training would take about {estimate:.0f} s here.")
    for note in notes:
        log(note)

    started = time.perf_counter()
    models = []
    oof = np.zeros((len(labels), 3))
    for fold in range(args.folds):
        train = np.flatnonzero(assignment != fold)
        held = np.flatnonzero(assignment == fold)
        matrix = xgboost.DMatrix(design[train], label=labels[train], nthread=args.nthread)
        model = xgboost.train(params, matrix, num_boost_round=rounds)
        del matrix
        oof[held] = model.predict(xgboost.DMatrix(design[held], nthread=args.nthread))
        models.append(model)
        log(f"fold {fold + 1}/{args.folds}: {time.perf_counter() - started:.1f} s so far")
    steps["train"] = time.perf_counter() - started
    oof_loss = log_loss(oof, labels)
    del design

    count = min(args.predict_rows, len(frame))
    test_a, test_b = texts_a[:count], texts_b[:count]
    started = time.perf_counter()
    test_design = featurizer.transform(test_a, test_b)[:, columns].tocsr()
    steps["predict_features"] = time.perf_counter() - started
    predict_started = time.perf_counter()
    test_matrix = xgboost.DMatrix(test_design, nthread=args.nthread)
    predictions = np.mean([model.predict(test_matrix) for model in models], axis=0)
    steps["predict_models"] = time.perf_counter() - predict_started
    steps["predict"] = time.perf_counter() - started
    assert predictions.shape == (count, 3)

    what = {
        "read": f"read_csv + json.loads, {len(frame)} rows",
        "features": f"21 features + hashed TF-IDF word 1-2 + char 3-5 (2 x 2^18), fit on all rows: "
                    f"{len(frame)} x {width}, {nonzeros} non-zeros",
        "probe": f"column selection + DMatrix + {args.probe_rounds} rounds on fold 0 (sizing only)",
        "train": f"{args.folds}-fold XGBoost hist on {len(columns)} columns, {rounds} rounds, depth {args.depth}, "
                 f"eta {args.eta}, nthread {args.nthread} (DMatrix and held-out predictions included)",
        "predict_features": f"features of {count} rows (fitted transformers)",
        "predict_models": f"DMatrix + average of the {args.folds} fold models on {count} rows",
        "predict": f"prediction of {count} rows in all (features + models)",
    }
    total = sum(v for k, v in steps.items() if k not in ("predict_features", "predict_models"))
    load_after = os.getloadavg()[0]
    notes.append(f"1-minute load average {load_before:.2f} at the start, {load_after:.2f} at the end "
                 f"(other work on the machine slows every step, XGBoost's threads most).")
    print(f"Python speed on {data.name} ({len(frame)} rows, {os.cpu_count()} CPUs); "
          f"out-of-fold log loss {oof_loss:.4f}; total {total:.0f} s\n")
    print("| step | what | wall s |")
    print("|---|---|---:|")
    for key, seconds in steps.items():
        print(f"| {key} | {what[key]} | {seconds:.1f} |")
    print()
    for note in notes:
        print(f"Note: {note}")

    if args.json:
        import sklearn

        Path(args.json).write_text(json.dumps({
            "data": str(data), "rows": len(frame), "cpus": os.cpu_count(), "folds": args.folds,
            "seed": args.seed, "rounds_requested": args.rounds, "rounds_run": rounds,
            "estimated_seconds_requested_rounds": estimate, "columns": len(columns),
            "columns_all": width, "nonzeros_all": nonzeros, "nonzero_share_kept": kept_share,
            "probe": {"dmatrix_s": matrix_s, "setup_s": setup_s, "per_round_s": per_round},
            "depth": args.depth, "eta": args.eta, "nthread": args.nthread, "jobs": args.jobs,
            "predict_rows": count, "oof_log_loss": oof_loss, "seconds": steps, "what": what,
            "notes": notes, "load_average_start": load_before, "load_average_end": load_after,
            "versions": {"numpy": np.__version__, "sklearn": sklearn.__version__, "xgboost": xgboost.__version__},
        }, indent=2) + "\n")


if __name__ == "__main__":
    main()
