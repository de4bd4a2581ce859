"""Train a ridge regression model on the diabetes data set and log its metrics.

Needs only the Python 3 standard library, so it runs anywhere (including the local emulator). Metrics go through
mlflow when it is importable (as on Azure ML, where azureml-mlflow routes them to the workspace), else through the
MLflow REST API at MLFLOW_TRACKING_URI for the run MLFLOW_RUN_ID.
"""
import argparse
import csv
import json
import math
import os
import random
import ssl
import sys
import time
import urllib.request
from pathlib import Path

FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
TARGET = "target"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="CSV file, or a folder holding one")
    parser.add_argument("--alpha", type=float, default=0.5, help="L2 regularisation strength (>= 0)")
    parser.add_argument("--test-size", type=float, default=0.2, help="fraction of rows held out for evaluation")
    parser.add_argument("--seed", type=int, default=42, help="seed of the train/test split")
    parser.add_argument("--model-dir", required=True, help="folder the model is written to")
    args = parser.parse_args(argv)
    if args.alpha < 0:
        parser.error("--alpha must be >= 0")
    if not 0 < args.test_size < 1:
        parser.error("--test-size must be between 0 and 1")
    return args


def load_rows(data_path):
    path = Path(data_path)
    if path.is_dir():
        csvs = sorted(path.glob("*.csv"))
        if not csvs:
            raise SystemExit(f"no .csv file in the data folder {path}")
        path = csvs[0]
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in FEATURES + [TARGET] if c not in (reader.fieldnames or [])]
        if missing:
            raise SystemExit(f"{path.name} lacks the columns {', '.join(missing)}")
        rows = [([float(r[c]) for c in FEATURES], float(r[TARGET])) for r in reader]
    if len(rows) < 10:
        raise SystemExit(f"{path.name} has {len(rows)} rows: too few to train")
    return rows


def split(rows, test_size, seed):
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    n_test = max(1, int(round(len(shuffled) * test_size)))
    return shuffled[n_test:], shuffled[:n_test]


def column_stats(xs):
    n = len(xs)
    means = [sum(x[j] for x in xs) / n for j in range(len(xs[0]))]
    stds = [math.sqrt(sum((x[j] - means[j]) ** 2 for x in xs) / n) or 1.0 for j in range(len(xs[0]))]
    return means, stds


def solve(a, b):
    """Gaussian elimination with partial pivoting: solves a·w = b for a small dense system."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        if abs(m[col][col]) < 1e-12:
            raise SystemExit("the training data is singular: cannot fit the model")
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= f * m[col][c]
    w = [0.0] * n
    for r in range(n - 1, -1, -1):
        w[r] = (m[r][n] - sum(m[r][c] * w[c] for c in range(r + 1, n))) / m[r][r]
    return w


def fit_ridge(train, alpha):
    """Ridge regression on standardised features; the intercept is not penalised."""
    xs = [x for x, _ in train]
    ys = [y for _, y in train]
    means, stds = column_stats(xs)
    z = [[(x[j] - means[j]) / stds[j] for j in range(len(x))] for x in xs]
    y_mean = sum(ys) / len(ys)
    k = len(FEATURES)
    gram = [[sum(r[i] * r[j] for r in z) + (alpha if i == j else 0.0) for j in range(k)] for i in range(k)]
    rhs = [sum(r[i] * (y - y_mean) for r, y in zip(z, ys)) for i in range(k)]
    weights = solve(gram, rhs)
    return {"features": FEATURES, "means": means, "stds": stds, "weights": weights, "intercept": y_mean, "alpha": alpha}


def predict(model, x):
    return model["intercept"] + sum(
        w * (v - m) / s for w, v, m, s in zip(model["weights"], x, model["means"], model["stds"])
    )


def evaluate(model, rows):
    ys = [y for _, y in rows]
    preds = [predict(model, x) for x, _ in rows]
    mse = sum((p - y) ** 2 for p, y in zip(preds, ys)) / len(ys)
    y_mean = sum(ys) / len(ys)
    ss_tot = sum((y - y_mean) ** 2 for y in ys)
    r2 = 1 - sum((p - y) ** 2 for p, y in zip(preds, ys)) / ss_tot if ss_tot else 0.0
    return {"mse": mse, "r2": r2}


def log_metrics(metrics, params):
    try:
        import mlflow  # noqa: PLC0415 - optional dependency
    except ImportError:
        mlflow = None
    if mlflow is not None:
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        return "mlflow"
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    run_id = os.environ.get("MLFLOW_RUN_ID")
    if not uri or not run_id:
        return None
    base = uri.replace("azureml://", "https://", 1).rstrip("/")
    now = int(time.time() * 1000)
    body = {
        "run_id": run_id,
        "metrics": [{"key": k, "value": float(v), "timestamp": now, "step": 0} for k, v in metrics.items()],
        "params": [{"key": k, "value": str(v)} for k, v in params.items()],
    }
    request = urllib.request.Request(
        f"{base}/api/2.0/mlflow/runs/log-batch",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30, context=ssl.create_default_context()) as response:
        response.read()
    return "MLflow REST API"


def main(argv):
    args = parse_args(argv)
    rows = load_rows(args.data)
    train, test = split(rows, args.test_size, args.seed)
    print(f"Loaded {len(rows)} rows: {len(train)} to train, {len(test)} to test (seed {args.seed})")
    model = fit_ridge(train, args.alpha)
    metrics = evaluate(model, test)
    print(f"Ridge regression, alpha={args.alpha}: mse={metrics['mse']:.2f} r2={metrics['r2']:.4f}")

    model_dir = Path(args.model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    (model_dir / "model.json").write_text(json.dumps(model, indent=2))
    (model_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    print(f"Model written to {model_dir / 'model.json'}")

    via = log_metrics(metrics, {"alpha": args.alpha, "test_size": args.test_size, "seed": args.seed})
    print(f"Metrics logged through {via}" if via else "No MLflow tracking configured: metrics not logged")


if __name__ == "__main__":
    main(sys.argv[1:])
