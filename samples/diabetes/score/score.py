"""Scoring script of the diabetes model, following the Azure ML online endpoint contract.

The inference server calls init() once when the deployment starts, then run() for every request with the request
body as a string. The model folder is in AZUREML_MODEL_DIR. Only the Python 3 standard library is needed.
"""
import json
import logging
import os
from pathlib import Path

MODEL = None


def init():
    """Loads model.json (written by train.py) from the registered model's folder."""
    global MODEL
    model_dir = Path(os.environ["AZUREML_MODEL_DIR"])
    candidates = sorted(model_dir.rglob("model.json"))
    if not candidates:
        raise FileNotFoundError(f"no model.json under AZUREML_MODEL_DIR ({model_dir})")
    MODEL = json.loads(candidates[0].read_text())
    logging.info("Loaded %s: ridge regression over %s", candidates[0], ", ".join(MODEL["features"]))


def predict(row):
    return MODEL["intercept"] + sum(
        w * (v - m) / s for w, v, m, s in zip(MODEL["weights"], row, MODEL["means"], MODEL["stds"])
    )


def run(raw_data):
    """{"data": [[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6], ...]} -> {"predictions": [...]}."""
    rows = json.loads(raw_data)["data"]
    expected = len(MODEL["features"])
    for index, row in enumerate(rows):
        if len(row) != expected:
            raise ValueError(f"row {index} has {len(row)} values; the model takes {expected}: {', '.join(MODEL['features'])}")
    return {"predictions": [round(predict(row), 2) for row in rows]}
