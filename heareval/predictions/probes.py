"""Parameter-free probes beside the MLP: a logistic-regression head (`linear`) and cosine k-nearest
neighbours (`knn`, scene tasks). Each writes the predictions format into probes/<probe>/ of the task folder,
so the evaluation stage scores it as it scores the MLP."""

import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from tqdm import tqdm

from heareval.atomic import atomic_path, write_json
from heareval.cost import measure_cost
from heareval.errors import UserError
from heareval.predictionformat import (
    BEST_MODEL_CONFIG,
    COST,
    DONE_MARKER,
    GRID_POINTS,
    MLP,
    PROBES,
    SCORES,
    arrangements,
    probe_dir,
)
from heareval.predictions.data import SplitData, concatenate, load_split, release_pages
from heareval.predictions.grid import GRIDS
from heareval.predictions.setup import (
    Setup,
    aggregated_scores,
    make_validator,
    save_predictions,
    score_probabilities,
    training_rules,
)
from heareval.score import is_better, score_function
from heareval.taskformat import (
    TASK_METADATA,
    TaskMetadata,
    label_vocabulary,
    load_task_metadata,
    read_events,
    split_labels_file,
)

LINEAR_INVERSE_L2 = (0.01, 0.1, 1.0, 10.0)  # scikit-learn's C: the L2 strengths tried on validation
LINEAR_MAX_ITERATIONS = 1000
KNN_NEIGHBOURS = 10  # as X-ARES
KNN_QUERY_BLOCK = 512  # queries compared with every training row at once: a block of similarities stays small
STANDARDIZE_CHUNK = 4096  # rows standardized at a time, so a memmapped training set is never held twice


def standardization(train: Any) -> Tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each training dimension (1 where a dimension is constant)."""
    total = np.zeros(train.shape[1])
    squares = np.zeros(train.shape[1])
    for start in range(0, len(train), STANDARDIZE_CHUNK):
        chunk = np.asarray(train[start:start + STANDARDIZE_CHUNK], dtype=np.float64)
        total += chunk.sum(axis=0)
        squares += np.square(chunk).sum(axis=0)
        release_pages(train)
    mean = total / len(train)
    std = np.sqrt(np.maximum(squares / len(train) - np.square(mean), 0.0))
    return mean, np.where(std > 0, std, 1.0)


def standardized(rows: Any, mean: np.ndarray, std: np.ndarray, unit_length: bool = False) -> np.ndarray:
    """float32 (rows - mean) / std, chunk by chunk; with `unit_length` each row scaled to length 1 (cosine)."""
    out = np.empty(rows.shape, dtype=np.float32)
    for start in range(0, len(rows), STANDARDIZE_CHUNK):
        chunk = (np.asarray(rows[start:start + STANDARDIZE_CHUNK], dtype=np.float64) - mean) / std
        if unit_length:
            chunk /= np.maximum(np.linalg.norm(chunk, axis=1, keepdims=True), 1e-12)
        out[start:start + len(chunk)] = chunk
        release_pages(rows)
    return out


def cosine_neighbours(train_unit: np.ndarray, queries_unit: np.ndarray, k: int) -> np.ndarray:
    """Indices of each query's k most cosine-similar training rows, most similar first; rows of unit length.
    Compared a block of queries at a time, so memory grows with the block, not with the queries."""
    import torch  # its top-k keeps k per row where numpy's argpartition would index the whole block

    train = torch.from_numpy(train_unit)
    found = np.empty((len(queries_unit), k), dtype=np.int64)
    for start in range(0, len(queries_unit), KNN_QUERY_BLOCK):
        similarity = torch.from_numpy(queries_unit[start:start + KNN_QUERY_BLOCK]) @ train.T
        found[start:start + len(similarity)] = torch.topk(similarity, k, dim=1, sorted=True).indices.numpy()
    return found


def knn_probabilities(train_targets: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """Each class's share of the neighbours (multilabel: the share of neighbours that have it)."""
    return train_targets[neighbours].mean(axis=1).astype(np.float32)


class LinearHead:
    """Logistic regression at each L2 strength of a path: multiclass, one softmax regression fitted afresh;
    multilabel, a sigmoid regression per label (as scikit-learn's OneVsRestClassifier), each warm-started
    from its fit at the previous strength, which reaches the same optimum within the solver's tolerance in
    a fraction of the iterations. A label that is constant in training predicts that constant."""

    def __init__(self, targets: np.ndarray, multiclass: bool, seed: int) -> None:
        self.targets, self.multiclass, self.seed = targets, multiclass, seed
        self.constant = None if multiclass else {j: float(targets[0, j]) for j in range(targets.shape[1])
                                                  if targets[:, j].min() == targets[:, j].max()}
        labels = 1 if multiclass else targets.shape[1]
        self.models = [LogisticRegression(max_iter=LINEAR_MAX_ITERATIONS, random_state=seed,
                                          warm_start=not multiclass) for _ in range(labels)]

    def fit(self, x: np.ndarray, inverse_l2: float) -> "LinearHead":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if self.multiclass:
                self.models[0].set_params(C=inverse_l2).fit(x, self.targets.argmax(axis=1))
            for j, model in enumerate(self.models if not self.multiclass else []):
                if j not in self.constant:
                    model.set_params(C=inverse_l2).fit(x, self.targets[:, j])
        return self

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """(rows, labels); a multiclass model that saw only some classes gives the others 0."""
        if self.multiclass:
            model = self.models[0]
            out = np.zeros((len(x), self.targets.shape[1]))
            out[:, model.classes_] = model.predict_proba(x)
            return out.astype(np.float32)
        columns = [np.full(len(x), self.constant[j]) if j in self.constant else model.predict_proba(x)[:, 1]
                   for j, model in enumerate(self.models)]
        return np.stack(columns, axis=1).astype(np.float32)


def probe_setup(task_dir: Path, metadata: TaskMetadata, labels: List[str]) -> Setup:
    """What the validator and scorer need: the task's scores and, for event tasks, the post-processing grid."""
    evaluation = list(metadata.evaluation)
    if not evaluation:
        raise UserError(f"{task_dir / TASK_METADATA} lists no evaluation scores")
    label_to_idx = {label: i for i, label in enumerate(labels)}
    _, postprocessing, _ = training_rules(task_dir, metadata, GRIDS["default"])
    return Setup(task_dir, metadata, labels, device=None, accelerator="cpu", devices=1, deterministic=True,
                 in_memory=False, primary=score_function(evaluation[0], label_to_idx),
                 scores=[score_function(name, label_to_idx) for name in evaluation], postprocessing=postprocessing)


def run_linear(setup: Setup, train: SplitData, valid: SplitData, test: SplitData, references: Dict[str, Any],
               seed: int) -> Tuple[np.ndarray, float, Dict[str, Any], List[Dict[str, Any]]]:
    """(test probabilities, validation score, chosen settings, every setting's record): the L2 strength, and
    for event tasks the post-processing, with the best primary validation score."""
    mean, std = standardization(train.embeddings)
    x_train = standardized(train.embeddings, mean, std)
    x_valid, x_test = standardized(valid.embeddings, mean, std), standardized(test.embeddings, mean, std)
    validate = make_validator(setup, valid, references.get("valid"))
    head = LinearHead(train.targets, setup.multiclass, seed)
    best: Optional[Tuple[np.ndarray, float, Dict[str, Any]]] = None
    records = []
    for inverse_l2 in LINEAR_INVERSE_L2:  # weakest regularization last: each warm start moves a little
        head.fit(x_train, inverse_l2)
        score, details = validate(head.probabilities(x_valid))
        records.append({"C": inverse_l2, "validation_score": score, **details})
        if best is None or is_better(score, best[1], setup.primary.maximize):
            best = (head.probabilities(x_test), score, {"C": inverse_l2, **details})
    probabilities, score, chosen = best
    return probabilities, score, chosen, records


def run_knn(setup: Setup, train: SplitData, valid: SplitData, test: SplitData, references: Dict[str, Any],
            seed: int) -> Tuple[np.ndarray, float, Dict[str, Any], List[Dict[str, Any]]]:
    """(test probabilities, validation score, settings, records) of cosine kNN on standardized embeddings."""
    mean, std = standardization(train.embeddings)
    train_unit = standardized(train.embeddings, mean, std, unit_length=True)
    probabilities = {}
    for split in (valid, test):
        neighbours = cosine_neighbours(train_unit, standardized(split.embeddings, mean, std, unit_length=True),
                                       KNN_NEIGHBOURS)
        probabilities[split.name] = knn_probabilities(train.targets, neighbours)
    score, _ = make_validator(setup, valid, None)(probabilities[valid.name])
    settings = {"k": KNN_NEIGHBOURS, "metric": "cosine", "standardized": True}
    return probabilities[test.name], score, settings, [{**settings, "validation_score": score}]


RUNNERS = {"linear": run_linear, "knn": run_knn}


def check_probe_applies(probe: str, task_dir: Path, metadata: TaskMetadata, train_rows: Sequence[int]) -> None:
    if probe not in RUNNERS:
        raise UserError(f"unknown probe {probe!r}; probes: {', '.join(PROBES)}")
    if probe == "knn" and metadata.is_event:
        raise UserError(f"{task_dir.name}: the knn probe is for scene tasks; this is an event task "
                        "(use --probe linear or mlp)")
    if probe == "knn" and min(train_rows) < KNN_NEIGHBOURS:
        raise UserError(f"{task_dir.name}: {min(train_rows)} training rows, too few for the knn probe's "
                        f"{KNN_NEIGHBOURS} neighbours")


def probe_predictions(task_dir: Path, probe: str, seed: int = 42, progress: bool = True) -> Optional[Dict]:
    """Fit `probe` on every train/valid/test arrangement of the task and write its predictions folder
    (probes/<probe>/); None if it was already done."""
    task_dir = Path(task_dir)
    out_dir = probe_dir(task_dir, probe)
    if probe == MLP:
        raise ValueError("the MLP trains in heareval.predictions.train")
    if (out_dir / DONE_MARKER).is_file():
        return None
    metadata = load_task_metadata(task_dir)
    labels = label_vocabulary(task_dir)
    layout = arrangements(metadata)
    data = {split: load_split(task_dir, split, in_memory=False) for split in metadata.splits}
    check_probe_applies(probe, task_dir, metadata,
                        [sum(len(data[s].targets) for s in arrangement.train) for arrangement in layout])
    setup = probe_setup(task_dir, metadata, labels)
    events = {split: read_events(task_dir / split_labels_file(split), labels)
              for split in metadata.splits} if setup.is_event else {}
    report: Dict[str, Any] = {"probe": probe, "score_mode": "max" if setup.primary.maximize else "min",
                              "embedding_path": str(task_dir)}
    records: List[Dict[str, Any]] = []
    with measure_cost("predictions", device="cpu") as cost, atomic_path(out_dir, replace=True) as out:
        out.mkdir(parents=True)
        for arrangement in tqdm(layout, desc=f"{task_dir.name} {probe}", unit="fold", leave=False,
                                disable=not progress or len(layout) == 1):
            train = concatenate([data[s] for s in arrangement.train], "train")
            valid, test = data[arrangement.valid], data[arrangement.test]
            references = {"valid": events.get(arrangement.valid), "test": events.get(arrangement.test)}
            probabilities, validation_score, chosen, tried = RUNNERS[probe](setup, train, valid, test, references,
                                                                            seed)
            scores, stored = score_probabilities(setup, probabilities, test, references["test"], chosen)
            save_predictions(out, arrangement.name, stored, labels)
            report[arrangement.name] = {**scores, "validation_score": validation_score}
            report["hparams"] = {k: v for k, v in chosen.items() if k != "postprocessing"}
            if "postprocessing" in chosen:
                report["postprocessing"] = sorted(chosen["postprocessing"].items())
            records += [{"split": arrangement.name, **record} for record in tried]
        if len(layout) > 1:
            report["aggregated_scores"] = aggregated_scores([report[a.name] for a in layout])
        write_json(out / SCORES, report)
        write_json(out / BEST_MODEL_CONFIG, report["hparams"])
        write_json(out / GRID_POINTS, records)
        cost.update(task=task_dir.name, probe=probe, device="cpu", embeddings="memmap")
    write_json(out_dir / COST, cost, indent=2)
    write_json(out_dir / DONE_MARKER, {"time": cost["wall_seconds"], "embedding_path": str(task_dir),
                                       "probe": probe, "device": "cpu"})
    return report

