"""The Python side of benchmarks/read_speed.py: what the reference notebooks do to load the
Kaggle train.csv, pandas.read_csv then json.loads of the three list-of-turns columns."""
import json
import sys

import pandas as pd


def turns(cell):
    try:
        return json.loads(cell)
    except (json.JSONDecodeError, TypeError):
        return None


frame = pd.read_csv(sys.argv[1])
for column in ("prompt", "response_a", "response_b"):
    frame[column] = frame[column].map(turns)
failed = int(frame[["prompt", "response_a", "response_b"]].isna().any(axis=1).sum())
print(f"{len(frame)} rows, {failed} failed to decode")
