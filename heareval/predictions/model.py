"""The shallow downstream predictor: a fully connected network as a LightningModule."""

import math
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import lightning as L
import numpy as np
import torch
from torch import nn

from heareval.predictions.grid import GridPoint
from heareval.score import is_better

# A validator maps validation probabilities to (score, details such as the chosen post-processing).
Validator = Callable[[np.ndarray], Tuple[float, Dict[str, Any]]]

INITIALIZERS = {"xavier_uniform": nn.init.xavier_uniform_, "xavier_normal": nn.init.xavier_normal_}
NORMS = {"batchnorm": nn.BatchNorm1d, "layernorm": nn.LayerNorm, "none": None}


def build_network(input_dim: int, n_labels: int, hp: GridPoint) -> nn.Sequential:
    """0..N hidden layers of hidden_dim units (Linear, norm, ReLU, dropout), then a linear output.

    Initialized as HEAR 2021 did: each linear layer's weights by the grid's xavier variant, with the gain
    of the activation before it (1 for the embedding, sqrt(2) after a ReLU); biases keep PyTorch's
    default initialization.
    """
    layers = []
    width = input_dim
    norm = NORMS[hp.get("hidden_norm", "batchnorm")]
    initialize = INITIALIZERS[hp.get("initialization", "xavier_uniform")]
    gain = nn.init.calculate_gain("linear")
    for _ in range(hp["hidden_layers"]):
        linear = nn.Linear(width, hp["hidden_dim"])
        initialize(linear.weight, gain=gain)
        layers.append(linear)
        if norm is not None:
            layers.append(norm(hp["hidden_dim"]))
        layers += [nn.ReLU(), nn.Dropout(hp["dropout"])]
        width = hp["hidden_dim"]
        gain = nn.init.calculate_gain("relu")
    output = nn.Linear(width, n_labels)
    initialize(output.weight, gain=gain)
    layers.append(output)
    return nn.Sequential(*layers)


def fused_adam(parameters: List[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    """Adam by its fused kernel, one pass over all parameters: on a CPU a tenth of the time per step of
    the default per-tensor loop (measured: 0.25 vs 2.5 ms for a 4096 -> 128 -> 11 network), the same
    updates up to rounding. torch before 2.4 has the fused kernel for CUDA only: the default loop there."""
    try:
        return torch.optim.Adam(parameters, lr=lr, fused=True)
    except RuntimeError:
        return torch.optim.Adam(parameters, lr=lr)


class TensorBatches:
    """Shuffled minibatches sliced from tensors already on the device (or from a memmap, copied per batch)."""

    # On the CPU, a fresh batch-sized tensor per step costs more in page faults than the gather itself, so
    # batches are gathered into reused buffers: the last RING batches stay intact. Lightning holds at most
    # the batch it trains on and the one it prefetched; the third is a margin.
    RING = 3

    def __init__(self, x: Any, y: torch.Tensor, batch_size: int, seed: int, device: torch.device) -> None:
        self.x, self.y, self.batch_size, self.seed, self.device = x, y, batch_size, seed, device
        self.epoch = 0
        n = len(y)
        self.starts = [s for s in range(0, n, batch_size) if n - s > 1 or n == 1]  # BatchNorm needs 2 rows
        self.buffers: List[torch.Tensor] = []
        if isinstance(x, torch.Tensor) and x.device.type == "cpu":
            self.buffers = [torch.empty((min(batch_size, n),) + tuple(x.shape[1:]), dtype=x.dtype)
                            for _ in range(self.RING)]

    def __len__(self) -> int:
        return len(self.starts)

    def __iter__(self) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
        generator = torch.Generator().manual_seed(self.seed * 100003 + self.epoch)
        self.epoch += 1
        order = torch.randperm(len(self.y), generator=generator)
        for step, start in enumerate(self.starts):
            rows = order[start:start + self.batch_size]
            if self.buffers:
                batch = self.buffers[step % self.RING][:len(rows)]
                yield torch.index_select(self.x, 0, rows, out=batch), self.y[rows]
            elif isinstance(self.x, torch.Tensor):
                rows = rows.to(self.x.device)
                yield self.x[rows], self.y[rows]
            else:  # memmap: read sorted rows, keep the labels aligned
                rows, _ = torch.sort(rows)
                batch = torch.from_numpy(np.ascontiguousarray(self.x[rows.numpy()])).to(self.device)
                yield batch, self.y[rows.to(self.y.device)]


class ShallowPredictor(L.LightningModule):
    """Trains on (embedding, target) batches; scores the whole validation set at each check and keeps
    the best check's weights in memory (no pickled checkpoints)."""

    def __init__(self, input_dim: int, n_labels: int, multiclass: bool, hp: GridPoint, maximize: bool,
                 validation_x: Any, validator: Validator, stop_on_nan_score: bool = False) -> None:
        super().__init__()
        self.stop_on_nan_score = stop_on_nan_score
        self.net = build_network(input_dim, n_labels, hp)
        self.multiclass, self.hp, self.maximize = multiclass, hp, maximize
        self.loss = nn.CrossEntropyLoss() if multiclass else nn.BCEWithLogitsLoss()
        self.validation_x, self.validator = validation_x, validator
        self.best_score = -math.inf if maximize else math.inf
        self.best_epoch = -1
        self.best_state: Optional[Dict[str, torch.Tensor]] = None
        self.best_details: Dict[str, Any] = {}
        self.validation_history: list = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def probabilities(self, x: Any, chunk: int = 65536) -> np.ndarray:
        was_training = self.training
        self.eval()
        outputs = []
        with torch.no_grad():
            for start in range(0, len(x), chunk):
                block = x[start:start + chunk]
                if not isinstance(block, torch.Tensor):
                    block = torch.from_numpy(np.require(block, requirements=["C", "W"]))  # memmaps are read-only
                logits = self.net(block.to(self.device))
                outputs.append((torch.softmax(logits, 1) if self.multiclass else torch.sigmoid(logits)).float().cpu())
        self.train(was_training)
        return torch.cat(outputs).numpy()

    def training_step(self, batch: Tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = self.loss(self.net(x), y)
        self.epoch_loss += loss.detach() * len(x)  # summed here, logged once per epoch: Lightning's
        self.epoch_rows += len(x)                  # per-step logging costs more than a small step
        return loss

    def on_train_epoch_start(self) -> None:
        self.epoch_loss, self.epoch_rows = torch.zeros((), device=self.device), 0

    def on_train_epoch_end(self) -> None:
        self.log("train_loss", self.epoch_loss / max(self.epoch_rows, 1))

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        score, details = self.validator(self.probabilities(self.validation_x))
        if math.isnan(score):  # e.g. no predicted events: the worst possible
            score = -math.inf if self.maximize else math.inf
            if self.stop_on_nan_score:  # as the original kit's EarlyStopping (check_finite) did
                self.trainer.should_stop = True
        self.validation_history.append((self.current_epoch, score))
        self.log("val_score", float(score) if math.isfinite(score) else (-1e9 if self.maximize else 1e9),
                 batch_size=1)
        if is_better(score, self.best_score, self.maximize) or self.best_state is None:
            self.best_score, self.best_epoch, self.best_details = score, self.current_epoch, details
            self.best_state = {k: v.detach().clone() for k, v in self.state_dict().items()}

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return fused_adam(list(self.parameters()), self.hp["lr"])

    def restore_best(self) -> None:
        if self.best_state is not None:
            self.load_state_dict(self.best_state)
