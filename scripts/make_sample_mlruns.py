#!/usr/bin/env python3
"""Regenerate ``sample_mlruns/``: a small, realistic MLflow *file store* written by real MLflow.

Usage::

    pip install mlflow matplotlib      # pandas (an MLflow dependency) is used when present
    python scripts/make_sample_mlruns.py [OUT_DIR]       # default: sample_mlruns

Everything goes through MLflow's public API (``MlflowClient`` and the fluent ``mlflow.*``
functions) with the tracking URI set to the absolute path of OUT_DIR. Values come from a
seeded RNG and run timestamps follow a simulated clock that starts when the experiment is
created, so two runs of this script differ only in ids, timestamps and the like.

What it writes:

* experiment ``mnist-cnn-sweep`` (markdown description, user tags) with
  - a parent run ``lr-sweep`` and four nested child runs over learning rate / batch size,
    30 epochs of ``train/loss``, ``val/loss``, ``val/accuracy``, ``learning_rate`` and a
    final ``test_accuracy``; the best child also has artifacts: a confusion-matrix PNG,
    a classification report (CSV), a JSON config, ``notes.md`` and a small pyfunc model
    folder under ``model/``;
  - one FAILED run (diverged, crashed at epoch 7) and one KILLED run;
* experiment ``data-prep`` with two runs, each with a dataset input.

MLflow 3.13+ refuses to write a file store unless ``MLFLOW_ALLOW_FILE_STORE=true``; the
script sets it. Runs are recorded as user ``researcher`` (the ``mlflow.user`` tag) and the
source/git tags are fixed fake values; the only local paths are those MLflow itself records
(artifact locations under OUT_DIR, the temporary path of the model's code file).
If OUT_DIR already holds an MLflow file store it is replaced.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
os.environ.setdefault("MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING", "false")
# MLflow's advice about input examples and integer columns does not apply to this
# throw-away model and dataset.
warnings.filterwarnings("ignore", category=UserWarning, message=r".*(input example was not provided|integer column)")

import mlflow  # noqa: E402
import mlflow.pyfunc  # noqa: E402
import numpy as np  # noqa: E402  (mlflow depends on numpy)
from mlflow.tracking import MlflowClient  # noqa: E402

SEED = 20240611
USER = "researcher"
REPO_URL = "https://github.com/example/mnist-cnn"
BRANCH = "main"
EPOCHS = 30
# MNIST test-set support per digit (sums to 10,000).
SUPPORT = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
CLASSES = [str(d) for d in range(10)]

rng = np.random.default_rng(SEED)


def fake_commit(label: str) -> str:
    """A stable, fake 40-hex git commit."""
    return hashlib.sha1(f"mnist-cnn:{label}".encode()).hexdigest()


def source_tags(script: str, commit: str) -> dict[str, str]:
    return {
        "mlflow.user": USER,
        "mlflow.source.type": "LOCAL",
        "mlflow.source.name": script,
        "mlflow.source.git.commit": commit,
        "mlflow.source.git.repoURL": REPO_URL,
        "mlflow.source.git.branch": BRANCH,
    }


class Clock:
    """Simulated wall clock in epoch milliseconds."""

    def __init__(self, start_ms: int):
        self.now = int(start_ms)

    def advance(self, seconds: float) -> int:
        self.now += int(seconds * 1000)
        return self.now


# --------------------------------------------------------------------------- curves


def cosine_lr(base_lr: float, epoch: int, epochs: int, warmup: int = 2) -> float:
    if epoch < warmup:
        return base_lr * (epoch + 1) / warmup
    t = (epoch - warmup) / max(1, epochs - warmup)
    return 1e-6 + 0.5 * (base_lr - 1e-6) * (1 + math.cos(math.pi * t))


def training_curves(
    *,
    speed: float,
    first_acc: float,
    final_acc: float,
    floor: float,
    overfit: float,
    noise: float,
    epochs: int,
    base_lr: float,
    total_epochs: int | None = None,
):
    """Per-epoch dicts of train/loss, val/loss, val/accuracy, learning_rate.

    A small CNN on MNIST is past 90% validation accuracy after one epoch, then creeps
    towards ~99%; ``overfit`` makes val/loss turn up again in the second half.
    """
    total_epochs = total_epochs or epochs
    first_loss = 2.6 * (1 - first_acc) + 0.08
    rows = []
    for e in range(epochs):
        decay = math.exp(-speed * e)
        train = floor + (first_loss * 1.15 - floor) * math.exp(-speed * e * 1.2)
        train *= 1 + rng.normal(0, noise)
        val = floor * 1.8 + (first_loss - floor * 1.8) * decay
        val += overfit * max(0, e - 10) ** 1.3 / 1000
        val *= 1 + rng.normal(0, noise * 1.5)
        acc = final_acc - (final_acc - first_acc) * decay - overfit * max(0, e - 10) / 4000
        acc += rng.normal(0, 0.0006 + noise * 0.004)
        rows.append(
            {
                "train/loss": round(max(train, 1e-4), 5),
                "val/loss": round(max(val, 1e-4), 5),
                "val/accuracy": round(min(acc, 0.9995), 5),
                "learning_rate": float(f"{cosine_lr(base_lr, e, total_epochs):.6g}"),
            }
        )
    return rows


# Digits that are commonly confused with each other on MNIST, with relative weights.
CONFUSIONS = {
    4: {9: 5, 6: 1, 7: 1},
    9: {4: 5, 7: 3, 8: 1},
    3: {5: 4, 8: 2, 2: 1},
    5: {3: 4, 6: 2, 8: 1},
    7: {2: 4, 9: 3, 1: 1},
    2: {7: 3, 8: 1, 3: 1},
    8: {3: 2, 5: 2, 9: 2},
    6: {5: 2, 0: 2, 4: 1},
    0: {6: 2, 5: 1},
    1: {7: 2, 2: 1},
}


def confusion_matrix(test_acc: float) -> np.ndarray:
    """A 10x10 confusion matrix whose accuracy on the MNIST test supports is ``test_acc``."""
    errors_total = int(round((1 - test_acc) * sum(SUPPORT)))
    hardness = np.array([0.5, 0.4, 1.1, 1.2, 1.0, 1.1, 0.8, 1.3, 1.3, 1.6])
    per_class = rng.multinomial(errors_total, hardness / hardness.sum())
    cm = np.zeros((10, 10), dtype=int)
    for true, n_err in enumerate(per_class):
        targets = CONFUSIONS[true]
        keys = list(targets)
        weights = np.array([targets[k] for k in keys], dtype=float) + 0.3
        others = [k for k in range(10) if k != true and k not in targets]
        keys += others
        weights = np.concatenate([weights, np.full(len(others), 0.15)])
        cm[true, keys] = rng.multinomial(n_err, weights / weights.sum())
        cm[true, true] = SUPPORT[true] - n_err
    return cm


def classification_report_csv(cm: np.ndarray) -> str:
    lines = ["class,precision,recall,f1-score,support"]
    precisions, recalls, f1s = [], [], []
    for k in range(10):
        tp = cm[k, k]
        p = tp / cm[:, k].sum()
        r = tp / cm[k, :].sum()
        f = 2 * p * r / (p + r)
        precisions.append(p), recalls.append(r), f1s.append(f)
        lines.append(f"{k},{p:.4f},{r:.4f},{f:.4f},{cm[k, :].sum()}")
    total = cm.sum()
    acc = np.trace(cm) / total
    w = cm.sum(axis=1) / total
    lines.append(f"accuracy,,,{acc:.4f},{total}")
    lines.append(f"macro avg,{np.mean(precisions):.4f},{np.mean(recalls):.4f},{np.mean(f1s):.4f},{total}")
    lines.append(f"weighted avg,{np.dot(w, precisions):.4f},{np.dot(w, recalls):.4f},{np.dot(w, f1s):.4f},{total}")
    return "\n".join(lines) + "\n"


def plot_confusion_matrix(cm: np.ndarray, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5), dpi=100)  # 600 x 500 px
    norm = cm / cm.sum(axis=1, keepdims=True)
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(10):
        for j in range(10):
            if cm[i, j]:
                ax.text(
                    j,
                    i,
                    str(cm[i, j]),
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="white" if norm[i, j] > 0.5 else "#333333",
                )
    ax.set_xticks(range(10), CLASSES)
    ax.set_yticks(range(10), CLASSES)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="fraction of true class")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


# --------------------------------------------------------------------------- model

# Saved as a "model from code": the model folder gets this readable source file instead
# of a pickle (a pickle would also embed this machine's paths).
MODEL_CODE = '''\
"""Stand-in for the exported MNIST CNN: nearest centroid on 4x4-pooled pixels."""
import numpy as np

import mlflow
from mlflow.pyfunc import PythonModel


class TinyDigitClassifier(PythonModel):
    def load_context(self, context):
        self.centroids = np.asarray(context.model_config["centroids"], dtype="float32")

    def predict(self, context, model_input, params=None):
        x = np.asarray(model_input, dtype="float32").reshape(-1, 28, 28)
        pooled = x.reshape(-1, 4, 7, 4, 7).mean(axis=(2, 4)).reshape(-1, 16)
        d = ((pooled[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2)
        e = np.exp(-d + d.min(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


mlflow.models.set_model(TinyDigitClassifier())
'''


def save_model_folder(path: Path) -> None:
    from mlflow.models import ModelSignature
    from mlflow.types.schema import Schema, TensorSpec

    signature = ModelSignature(
        inputs=Schema([TensorSpec(np.dtype("float32"), (-1, 1, 28, 28), "image")]),
        outputs=Schema([TensorSpec(np.dtype("float32"), (-1, 10), "probabilities")]),
    )
    centroids = np.round(rng.uniform(0, 0.6, size=(10, 16)), 3).tolist()
    with tempfile.TemporaryDirectory() as tmp:
        code = Path(tmp, "digit_classifier.py")
        code.write_text(MODEL_CODE)
        mlflow.pyfunc.save_model(
            path=str(path),
            python_model=str(code),
            model_config={"centroids": centroids},
            signature=signature,
            pip_requirements=[f"mlflow=={mlflow.__version__}", f"numpy=={np.__version__}"],
            metadata={"framework": "pytorch (exported)", "task": "image-classification"},
        )


# --------------------------------------------------------------------------- runs


def create_run(client: MlflowClient, exp_id: str, name: str, clock: Clock, tags: dict, parent_id: str | None = None):
    tags = dict(tags)
    if parent_id:
        tags["mlflow.parentRunId"] = parent_id
    return client.create_run(exp_id, start_time=clock.now, tags=tags, run_name=name)


def log_epochs(rows, clock: Clock, epoch_seconds: float) -> None:
    for epoch, row in enumerate(rows):
        ts = clock.advance(epoch_seconds * float(rng.uniform(0.96, 1.05)))
        mlflow.log_metrics(row, step=epoch, timestamp=ts)


def finish(client: MlflowClient, run_id: str, status: str, clock: Clock, pause: float = 3) -> int:
    """Leave the fluent run, then record the simulated end time and final status."""
    if mlflow.active_run() is not None:
        mlflow.end_run(status=status)
    end = clock.advance(pause)
    client.set_terminated(run_id, status=status, end_time=end)
    return end


SWEEP = [  # hyper-parameters, then the knobs of the simulated curves
    dict(
        lr=1e-3,
        batch_size=64,
        optimizer="adamw",
        dropout=0.25,
        speed=0.22,
        first_acc=0.962,
        final_acc=0.9921,
        floor=0.006,
        overfit=0.2,
        noise=0.02,
    ),
    dict(
        lr=3e-3,
        batch_size=128,
        optimizer="adamw",
        dropout=0.25,
        speed=0.28,
        first_acc=0.958,
        final_acc=0.9906,
        floor=0.005,
        overfit=0.5,
        noise=0.03,
    ),
    dict(
        lr=1e-2,
        batch_size=128,
        optimizer="adamw",
        dropout=0.25,
        speed=0.35,
        first_acc=0.931,
        final_acc=0.9872,
        floor=0.009,
        overfit=1.2,
        noise=0.05,
    ),
    dict(
        lr=3e-4,
        batch_size=256,
        optimizer="adamw",
        dropout=0.10,
        speed=0.11,
        first_acc=0.903,
        final_acc=0.9883,
        floor=0.012,
        overfit=0.0,
        noise=0.015,
    ),
]


EXPERIMENT_NOTE = """\
## MNIST CNN sweep

Small convolutional network (2 conv blocks + 2 dense layers, ~420k parameters) trained on
MNIST. This experiment holds the learning-rate / batch-size sweep that picked the
configuration we ship, plus a couple of earlier attempts.

- **data**: 60k train images split 55k / 5k (train / val), the official 10k test set
- **schedule**: 2 warm-up epochs, then cosine decay to 1e-6
- **selection**: best `val/accuracy`; `test_accuracy` is reported once at the end
- runs tagged `stage=baseline` are not part of the sweep
"""

SWEEP_NOTE = """\
Sweep over **learning rate** and **batch size** with AdamW, 30 epochs each.

| lr | batch size | dropout |
|----|------------|---------|
| 1e-3 | 64 | 0.25 |
| 3e-3 | 128 | 0.25 |
| 1e-2 | 128 | 0.25 |
| 3e-4 | 256 | 0.10 |

The child with the best validation accuracy has the confusion matrix, the
classification report and the exported model attached.
"""


def mnist_experiment(client: MlflowClient) -> None:
    exp_id = client.create_experiment(
        "mnist-cnn-sweep",
        tags={"mlflow.note.content": EXPERIMENT_NOTE, "team": "vision", "project": "mnist-cnn"},
    )
    mlflow.set_experiment(experiment_id=exp_id)
    created = client.get_experiment(exp_id).creation_time
    clock = Clock(created + 90_000)

    # 1. An early attempt whose loss diverged: crashed at epoch 7.
    commit = fake_commit("first-try")
    run = create_run(
        client,
        exp_id,
        "sgd-lr0.05-first-try",
        clock,
        {
            **source_tags("train.py", commit),
            "stage": "baseline",
            "mlflow.note.content": "First attempt with plain SGD; loss blew up.",
        },
    )
    rid = run.info.run_id
    with mlflow.start_run(run_id=rid):
        mlflow.log_params({"lr": 0.05, "batch_size": 32, "epochs": EPOCHS, "optimizer": "sgd", "dropout": 0.0})
        rows = training_curves(
            speed=0.4,
            first_acc=0.921,
            final_acc=0.975,
            floor=0.04,
            overfit=0,
            noise=0.04,
            epochs=7,
            base_lr=0.05,
            total_epochs=EPOCHS,
        )
        for i, row in enumerate(rows):  # diverges after epoch 3, then sits at chance level
            if i >= 3:
                row["train/loss"] = round(min(2.31, row["train/loss"] * 4.2 ** (i - 2)) * (1 + rng.normal(0, 0.004)), 5)
                row["val/loss"] = round(min(2.34, row["val/loss"] * 4.6 ** (i - 2)) * (1 + rng.normal(0, 0.004)), 5)
                row["val/accuracy"] = round(
                    max(0.1135 - rng.uniform(0, 0.02), row["val/accuracy"] - 0.3 * (i - 2) ** 2), 5
                )
        log_epochs(rows, clock, epoch_seconds=21)
        error = (
            "FloatingPointError: train/loss is NaN at epoch 7 (step 13126); "
            "aborting. Try a lower learning rate or gradient clipping."
        )
        mlflow.set_tag("error", error)
        mlflow.log_text(
            "Traceback (most recent call last):\n"
            '  File "train.py", line 212, in <module>\n'
            "    main(cfg)\n"
            '  File "train.py", line 174, in main\n'
            "    loss = train_one_epoch(model, loader, opt, epoch)\n"
            '  File "train.py", line 98, in train_one_epoch\n'
            "    raise FloatingPointError(msg)\n" + error + "\n",
            "logs/traceback.txt",
        )
    clock.advance(8)
    finish(client, rid, "FAILED", clock, pause=1)
    clock.advance(600)

    # 2. A long schedule that was stopped by hand.
    commit = fake_commit("long-schedule")
    run = create_run(
        client,
        exp_id,
        "adamw-100ep-long",
        clock,
        {
            **source_tags("train.py", commit),
            "stage": "baseline",
            "mlflow.note.content": "Stopped manually at epoch 12: superseded by `lr-sweep`.",
        },
    )
    rid = run.info.run_id
    with mlflow.start_run(run_id=rid):
        mlflow.log_params({"lr": 1e-3, "batch_size": 64, "epochs": 100, "optimizer": "adamw", "dropout": 0.25})
        rows = training_curves(
            speed=0.2,
            first_acc=0.960,
            final_acc=0.9925,
            floor=0.006,
            overfit=0,
            noise=0.02,
            epochs=12,
            base_lr=1e-3,
            total_epochs=100,
        )
        log_epochs(rows, clock, epoch_seconds=19)
    clock.advance(11)
    finish(client, rid, "KILLED", clock, pause=1)
    clock.advance(420)

    # 3. The sweep: a parent run with nested children.
    commit = fake_commit("lr-sweep")
    parent = create_run(
        client,
        exp_id,
        "lr-sweep",
        clock,
        {**source_tags("sweep.py", commit), "stage": "sweep", "mlflow.note.content": SWEEP_NOTE},
    )
    pid = parent.info.run_id
    with mlflow.start_run(run_id=pid):
        mlflow.log_params(
            {
                "search": "manual",
                "n_configs": len(SWEEP),
                "epochs": EPOCHS,
                "optimizer": "adamw",
                "selection_metric": "val/accuracy",
            }
        )
    clock.advance(5)

    children = []
    for cfg in SWEEP:
        name = f"lr{cfg['lr']:g}-bs{cfg['batch_size']}"
        run = create_run(
            client,
            exp_id,
            name,
            clock,
            {**source_tags("train.py", commit), "stage": "sweep", "gpu": "A10G"},
            parent_id=pid,
        )
        rid = run.info.run_id
        rows = training_curves(
            speed=cfg["speed"],
            first_acc=cfg["first_acc"],
            final_acc=cfg["final_acc"],
            floor=cfg["floor"],
            overfit=cfg["overfit"],
            noise=cfg["noise"],
            epochs=EPOCHS,
            base_lr=cfg["lr"],
        )
        # The test set scores a little below the last validation accuracy.
        cm = confusion_matrix(rows[-1]["val/accuracy"] - 0.0007 + float(rng.normal(0, 0.0004)))
        test_acc = round(float(np.trace(cm) / cm.sum()), 4)
        with mlflow.start_run(run_id=rid):
            mlflow.log_params(
                {
                    "lr": cfg["lr"],
                    "batch_size": cfg["batch_size"],
                    "epochs": EPOCHS,
                    "optimizer": cfg["optimizer"],
                    "dropout": cfg["dropout"],
                }
            )
            log_epochs(rows, clock, epoch_seconds={64: 14.0, 128: 9.5, 256: 7.0}[cfg["batch_size"]])
            mlflow.log_metric("test_accuracy", test_acc, step=EPOCHS - 1, timestamp=clock.advance(9))
        end = finish(client, rid, "FINISHED", clock)
        best_val = max(r["val/accuracy"] for r in rows)
        children.append(
            {
                "run_id": rid,
                "name": name,
                "cfg": cfg,
                "cm": cm,
                "test_accuracy": test_acc,
                "best_val": best_val,
                "end": end,
            }
        )
        clock.advance(4)

    best = max(children, key=lambda c: c["best_val"])
    with mlflow.start_run(run_id=best["run_id"]):
        mlflow.set_tag("best_of_sweep", "true")
        with tempfile.TemporaryDirectory() as tmp:
            png = Path(tmp, "confusion_matrix.png")
            plot_confusion_matrix(
                best["cm"], f"Confusion matrix, test set ({best['name']}, acc {best['test_accuracy']:.2%})", png
            )
            mlflow.log_artifact(str(png), artifact_path="plots")
        mlflow.log_text(classification_report_csv(best["cm"]), "classification_report.csv")
        cfg = best["cfg"]
        mlflow.log_dict(
            {
                "model": {"arch": "SmallCNN", "conv_channels": [32, 64], "hidden": 128, "dropout": cfg["dropout"]},
                "optim": {"name": cfg["optimizer"], "lr": cfg["lr"], "weight_decay": 0.01, "betas": [0.9, 0.999]},
                "schedule": {"name": "cosine", "warmup_epochs": 2, "min_lr": 1e-6},
                "data": {
                    "batch_size": cfg["batch_size"],
                    "val_split": 5000,
                    "augment": ["random_affine"],
                    "normalize": {"mean": 0.1307, "std": 0.3081},
                },
                "epochs": EPOCHS,
                "seed": 42,
            },
            "config.json",
        )
        worst = sorted(((best["cm"][i, j], i, j) for i in range(10) for j in range(10) if i != j), reverse=True)[:3]
        mlflow.log_text(
            f"# Notes: {best['name']}\n\n"
            f"Best run of the sweep: **{best['test_accuracy']:.2%}** test accuracy "
            f"(best val accuracy {best['best_val']:.4f}).\n\n"
            "## Most frequent confusions\n\n"
            + "".join(f"- true **{i}** predicted as **{j}**: {n} images\n" for n, i, j in worst)
            + "\n## Next steps\n\n"
            "1. try label smoothing 0.1\n"
            "2. export to ONNX and check latency on CPU\n\n"
            "```bash\npython train.py --lr 0.001 --batch-size 64 --epochs 30\n```\n",
            "notes.md",
        )
        with tempfile.TemporaryDirectory() as tmp:
            model_dir = Path(tmp, "model")
            save_model_folder(model_dir)
            mlflow.log_artifacts(str(model_dir), artifact_path="model")
    # Resuming the run above set it back to RUNNING; restore its recorded end.
    client.set_terminated(best["run_id"], status="FINISHED", end_time=best["end"])

    with mlflow.start_run(run_id=pid):
        mlflow.log_metrics(
            {"best_val_accuracy": best["best_val"], "best_test_accuracy": best["test_accuracy"]},
            timestamp=clock.advance(2),
        )
        mlflow.set_tag("best_run_id", best["run_id"])
    finish(client, pid, "FINISHED", clock, pause=1)


def data_prep_experiment(client: MlflowClient) -> None:
    exp_id = client.create_experiment(
        "data-prep",
        tags={"mlflow.note.content": "Download, split and normalise MNIST before training.", "team": "vision"},
    )
    mlflow.set_experiment(experiment_id=exp_id)
    clock = Clock(client.get_experiment(exp_id).creation_time + 30_000)
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        pd = None

    specs = [
        (
            "download-and-split",
            {"source": "https://example.com/datasets/mnist.npz", "val_size": 5000, "seed": 42},
            "n_train_samples",
            55000.0,
            48,
        ),
        (
            "normalize-and-cache",
            {"mean": 0.1307, "std": 0.3081, "format": "float16", "cache_dir": "data/cache"},
            "pixel_mean_after_norm",
            0.0003,
            95,
        ),
    ]
    commit = fake_commit("data-prep")
    for name, params, metric, value, seconds in specs:
        run = create_run(client, exp_id, name, clock, source_tags("prepare_data.py", commit))
        rid = run.info.run_id
        with mlflow.start_run(run_id=rid):
            mlflow.log_params(params)
            if pd is not None:
                n = 48
                labels = rng.integers(0, 10, size=n)
                df = pd.DataFrame(
                    {
                        "image_id": np.arange(n, dtype="int64") * 37 % 60000,
                        "mean_intensity": np.round(rng.normal(0.1307, 0.03, size=n), 4),
                        "ink_pixels": rng.integers(90, 230, size=n).astype("int64"),
                        "label": labels.astype("int64"),
                    }
                )
                ds = mlflow.data.from_pandas(
                    df, source="https://example.com/datasets/mnist.npz", targets="label", name="mnist-train-sample"
                )
                mlflow.log_input(ds, context="training")
            mlflow.log_metric(metric, value, timestamp=clock.advance(seconds))
        finish(client, rid, "FINISHED", clock, pause=2)
        clock.advance(40)


def tidy(out: Path) -> None:
    """Empty .trash, and drop the models/ and traces/ folders MLflow leaves empty."""
    trash = out / ".trash"
    if trash.is_dir():
        for child in trash.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    for folder in list(out.glob("*/models")) + list(out.glob("*/traces")):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0
    if len(argv) > 2 or (len(argv) == 2 and argv[1].startswith("-")):
        print("usage: python scripts/make_sample_mlruns.py [OUT_DIR]", file=sys.stderr)
        return 2
    out = Path(argv[1] if len(argv) == 2 else "sample_mlruns").resolve()
    if out.exists():
        if not out.is_dir():
            print(f"error: {out} exists and is not a folder", file=sys.stderr)
            return 2
        if any(out.iterdir()) and not (out / "0" / "meta.yaml").is_file():
            print(
                f"error: {out} is not empty and does not look like an MLflow file store; refusing to replace it",
                file=sys.stderr,
            )
            return 2
        shutil.rmtree(out)
    mlflow.set_tracking_uri(str(out))
    client = MlflowClient()
    mnist_experiment(client)
    data_prep_experiment(client)
    tidy(out)
    n_files = sum(len(files) for _, _, files in os.walk(out))
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"wrote {out}: {n_files} files, {size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
