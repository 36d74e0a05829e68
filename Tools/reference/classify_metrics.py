#!/usr/bin/env python3
"""scikit-learn (and SciPy) reference values for MedMetrics' classification metrics.

usage: classify_metrics.py FIXTURES     (needs numpy, scikit-learn, scipy)

Writes FIXTURES/metrics/classification.json: cases with scores (rounded to a few levels, so
there are many ties), labels, and what scikit-learn says: roc_auc_score (binary, one-vs-rest
macro, multi-label macro), average_precision_score, balanced_accuracy_score, accuracy_score,
confusion_matrix; SciPy's binomtest for McNemar's exact test; DeLong's test computed here
from its definition (placement values, DeLong et al. 1988) by plain loops; and the expected
calibration error with 15 equal bins (Guo et al. 2017) by plain loops.
"""
import json
import os
import sys

import numpy as np
from scipy.stats import binomtest, norm
from sklearn.metrics import (accuracy_score, average_precision_score, balanced_accuracy_score, confusion_matrix,
                             roc_auc_score, roc_curve)

rng = np.random.default_rng(19)
cases = []


def delong_loops(a, b, y):
    pos = [i for i in range(len(y)) if y[i]]
    neg = [i for i in range(len(y)) if not y[i]]
    m, n = len(pos), len(neg)

    def psi(x, z):
        return 1.0 if x > z else (0.5 if x == z else 0.0)
    v10, v01, aucs = [], [], []
    for s in (a, b):
        v10.append([sum(psi(s[i], s[j]) for j in neg) / n for i in pos])
        v01.append([sum(psi(s[i], s[j]) for i in pos) / m for j in neg])
        aucs.append(sum(v10[-1]) / m)
    s10 = np.cov(np.array(v10))
    s01 = np.cov(np.array(v01))
    var = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / m + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / n
    d = aucs[0] - aucs[1]
    z = d / np.sqrt(var)
    return {"aucA": aucs[0], "aucB": aucs[1], "se": float(np.sqrt(var)), "z": float(z), "p": float(2 * norm.sf(abs(z)))}


def ece(conf, correct, bins=15):
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(conf) if (c > lo or (b == 0 and c >= 0)) and c <= hi]
        if idx:
            total += abs(sum(correct[i] for i in idx) - sum(conf[i] for i in idx)) / len(conf)
    return total


for n, levels in ((40, 7), (120, 25), (300, 1000)):
    y = rng.integers(0, 2, n)
    a = np.round(np.clip(y * 0.3 + rng.random(n) * 0.8, 0, 1) * levels) / levels
    b = np.round(np.clip(y * 0.15 + rng.random(n) * 0.9, 0, 1) * levels) / levels
    fpr, tpr, _ = roc_curve(y, a)
    sens90 = float(max(t for f, t in zip(fpr, tpr) if f <= 0.1 + 1e-12))
    pa, pb = (a >= 0.5).astype(int), (b >= 0.5).astype(int)
    ca, cb = pa == y, pb == y
    bb, cc = int(np.sum(ca & ~cb)), int(np.sum(~ca & cb))
    conf = np.where(pa == 1, a, 1 - a)
    cases.append({
        "kind": "binary", "labels": y.tolist(), "a": a.tolist(), "b": b.tolist(),
        "auc": roc_auc_score(y, a), "ap": average_precision_score(y, a), "sens_at_spec90": sens90,
        "accuracy": accuracy_score(y, pa), "balanced_accuracy": balanced_accuracy_score(y, pa),
        "confusion": confusion_matrix(y, pa, labels=[0, 1]).tolist(),
        "delong": delong_loops(a.tolist(), b.tolist(), y.tolist()),
        "mcnemar": {"b": bb, "c": cc, "p": binomtest(min(bb, cc), bb + cc, 0.5).pvalue if bb + cc else 1.0},
        "ece": ece(conf.tolist(), ca.astype(float).tolist()),
    })

# Single-label, 3 classes (one-vs-rest macro AUC and AP on probabilities), with ties.
n = 90
y = rng.integers(0, 3, n)
logits = rng.normal(size=(n, 3)) + np.eye(3)[y] * 1.2
p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
p = np.round(p, 2)
p = p / p.sum(1, keepdims=True)
pred = p.argmax(1)
cases.append({
    "kind": "multiclass", "labels": y.tolist(), "scores": p.tolist(), "predicted": pred.tolist(),
    "macro_auc": roc_auc_score(y, p, multi_class="ovr", average="macro"),
    "per_class_auc": [roc_auc_score(y == k, p[:, k]) for k in range(3)],
    "macro_ap": average_precision_score(np.eye(3)[y], p, average="macro"),
    "accuracy": accuracy_score(y, pred), "balanced_accuracy": balanced_accuracy_score(y, pred),
    "confusion": confusion_matrix(y, pred, labels=[0, 1, 2]).tolist(),
})

# Multi-label, 4 labels (NIH-style), macro AUC and AP.
n = 80
Y = (rng.random((n, 4)) < [0.3, 0.5, 0.2, 0.4]).astype(int)
S = np.round(1 / (1 + np.exp(-(rng.normal(size=(n, 4)) + Y * 1.0))), 2)
cases.append({
    "kind": "multilabel", "labels": Y.tolist(), "scores": S.tolist(),
    "macro_auc": roc_auc_score(Y, S, average="macro"), "macro_ap": average_precision_score(Y, S, average="macro"),
})

out = os.path.join(sys.argv[1], "metrics")
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "classification.json"), "w") as f:
    json.dump({"source": "Tools/reference/classify_metrics.py", "cases": cases}, f)
print("cases", len(cases), [round(c.get("auc", c.get("macro_auc")), 4) for c in cases])
