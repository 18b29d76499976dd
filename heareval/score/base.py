"""What every score function is: a named callable over predictions and targets of one kind."""

from typing import Any, Mapping, Optional

SCENE, EVENT, FRAME = "scene", "event", "frame"


class ScoreFunction:
    """A named score; `maximize` says whether higher is better, `kind` which predictions it reads."""

    name = ""
    kind = SCENE

    def __init__(self, label_to_idx: Mapping[str, int], name: Optional[str] = None, maximize: bool = True) -> None:
        self.label_to_idx = dict(label_to_idx)
        if name:
            self.name = name
        self.maximize = maximize

    @property
    def labels(self) -> list:
        return [label for label, _ in sorted(self.label_to_idx.items(), key=lambda kv: kv[1])]

    def __call__(self, predictions: Any, targets: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.name
