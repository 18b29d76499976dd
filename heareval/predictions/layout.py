"""Which splits each training run uses, and the marker of a finished task: what the evaluation stage
needs from this stage, without importing Lightning."""

from dataclasses import dataclass
from typing import Any, Dict, List

from heareval.errors import UserError

DONE_MARKER = "prediction-done.json"


@dataclass
class Arrangement:
    """One train/valid/test assignment: the test split is scored once (k-fold: each fold once)."""

    name: str
    train: List[str]
    valid: str
    test: str


def arrangements(metadata: Dict[str, Any]) -> List[Arrangement]:
    splits = metadata["splits"]
    if metadata.get("split_mode", "trainvaltest") == "trainvaltest":
        return [Arrangement("test", ["train"], "valid", "test")]
    k = len(splits)
    if k < 3:
        raise UserError(f"{metadata['task_name']}: k-fold needs at least 3 folds, got {splits}")
    return [Arrangement(splits[i], [s for j, s in enumerate(splits) if j not in (i, (i + 1) % k)],
                        splits[(i + 1) % k], splits[i]) for i in range(k)]
