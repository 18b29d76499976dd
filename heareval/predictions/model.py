"""The shallow downstream predictor: fully connected networks, trained side by side by one LightningModule."""

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import lightning as L
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

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


def parameter_count(input_dim: int, n_labels: int, hp: GridPoint) -> int:
    widths = [input_dim] + [hp["hidden_dim"]] * hp["hidden_layers"] + [n_labels]
    return sum(inputs * outputs + outputs for inputs, outputs in zip(widths[:-1], widths[1:]))


# First layers narrower than this run side by side as one product; wider ones already run at the
# matrix-multiply rate alone (fusing them only copies their weights at every step).
FUSE_BELOW = 256


def first_layer_width(n_labels: int, hp: GridPoint) -> int:
    return hp["hidden_dim"] if hp["hidden_layers"] else n_labels


# Grid points trained side by side hold at most this many parameters together (each also has its gradients,
# two Adam moments and its best weights: 20 bytes a parameter, 160 MB here).
BUNDLE_PARAMETERS = 8_000_000


def side_by_side(points: List[GridPoint], input_dim: int, n_labels: int) -> List[List[int]]:
    """The grid points' indices grouped to train side by side: those with a narrow first layer (which run
    as one product) and the same batch size (so the same batches), at most BUNDLE_PARAMETERS parameters
    together. A point with a wide first layer trains alone: it gains nothing from company."""
    groups: List[List[int]] = []
    filling: Dict[int, Tuple[List[int], int]] = {}  # batch size: (the group being filled, its parameters)
    for i, hp in enumerate(points):
        if first_layer_width(n_labels, hp) >= FUSE_BELOW:
            groups.append([i])
            continue
        size = parameter_count(input_dim, n_labels, hp)
        group, total = filling.get(hp["batch_size"], ([], 0))
        if not group or total + size > BUNDLE_PARAMETERS:
            group, total = [], 0
            groups.append(group)
        group.append(i)
        filling[hp["batch_size"]] = (group, total + size)
    return groups


def fused_adam(groups: List[Dict[str, Any]]) -> torch.optim.Optimizer:
    """Adam over parameter groups (one per grid point, each with its "lr") by its fused kernel: on a CPU a
    tenth of the time per step of the default per-tensor loop (measured: 0.25 vs 2.5 ms for a 4096 -> 128
    -> 11 network), the same updates up to rounding. torch before 2.4 has the fused kernel for CUDA only:
    the default loop there."""
    try:
        return torch.optim.Adam(groups, fused=True)
    except RuntimeError:
        return torch.optim.Adam(groups)


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


def device_chunks(x: Any, device: torch.device, chunk: int = 65536) -> Iterator[torch.Tensor]:
    """The rows of x (a tensor, an array or a memmap) in chunks on the device."""
    for start in range(0, len(x), chunk):
        block = x[start:start + chunk]
        if not isinstance(block, torch.Tensor):
            block = torch.from_numpy(np.require(block, requirements=["C", "W"]))  # memmaps are read-only
        yield block.to(device)


def as_probabilities(logits: torch.Tensor, multiclass: bool) -> torch.Tensor:
    return (torch.softmax(logits, 1) if multiclass else torch.sigmoid(logits)).float().cpu()


def probabilities(net: nn.Module, x: Any, multiclass: bool, device: torch.device) -> np.ndarray:
    """Softmax (multiclass) or sigmoid outputs of a trained network for every row of x, in eval mode."""
    was_training = net.training
    net.eval()
    with torch.no_grad():
        outputs = [as_probabilities(net(block), multiclass) for block in device_chunks(x, device)]
    net.train(was_training)
    return torch.cat(outputs).numpy()


@dataclass
class MemberState:
    """One grid point's progress in a bundle: early stopping and the best check so far."""

    hp: GridPoint
    best_score: float
    best_epoch: int = -1
    best_state: Optional[Dict[str, torch.Tensor]] = None
    best_details: Dict[str, Any] = field(default_factory=dict)
    checks_without_improvement: int = 0
    epochs_trained: int = 0
    stopped: bool = False
    seconds: float = 0.0
    epoch_loss: Any = 0.0  # this epoch's summed loss, a tensor on the device while training


class PredictorBundle(L.LightningModule):
    """Several grid points' predictors trained side by side on the same batches (the batch order depends
    only on the seed and batch size, so each trains exactly as it would alone, dropout masks aside).

    Each batch is gathered once for all of them, and their narrow first layers (under FUSE_BELOW outputs)
    run as one product: a 4096 -> 11 layer alone reads its whole batch from memory for a few FLOPs per
    byte and runs at a quarter of this CPU's matrix-multiply rate; eight side by side run near it. Each
    point keeps its own learning rate, validation cadence, patience, maximum epochs and best weights
    (in memory, no pickled checkpoints); the fit ends when the last one stops.
    """

    def __init__(self, input_dim: int, n_labels: int, multiclass: bool, points: List[GridPoint], seed: int,
                 maximize: bool, validation_x: Any, validator: Validator, stop_on_nan_score: bool = False,
                 names: Optional[List[str]] = None, on_stop: Optional[Callable[[int, float], None]] = None) -> None:
        super().__init__()
        self.nets = nn.ModuleList()
        for hp in points:
            torch.manual_seed(seed)  # each point starts from the weights it would have alone
            self.nets.append(build_network(input_dim, n_labels, hp))
        self.members = [MemberState(hp, -math.inf if maximize else math.inf) for hp in points]
        self.names = names or [f"gridpoint{i:02d}" for i in range(len(points))]
        self.multiclass, self.maximize, self.stop_on_nan_score = multiclass, maximize, stop_on_nan_score
        self.loss = nn.CrossEntropyLoss() if multiclass else nn.BCEWithLogitsLoss()
        self.validation_x, self.validator, self.on_stop = validation_x, validator, on_stop
        self.started = time.perf_counter()

    def active(self) -> List[int]:
        return [i for i, member in enumerate(self.members) if not member.stopped]

    def first_layers(self, x: torch.Tensor, members: List[int]) -> Dict[int, torch.Tensor]:
        """Each member's first linear layer on x; the narrow ones as one product."""
        narrow = [i for i in members if self.nets[i][0].out_features < FUSE_BELOW]
        outputs = {i: self.nets[i][0](x) for i in members if i not in narrow or len(narrow) == 1}
        if len(narrow) > 1:
            layers = [self.nets[i][0] for i in narrow]
            weight, bias = torch.cat([layer.weight for layer in layers]), torch.cat([layer.bias for layer in layers])
            fused = F.linear(x, weight, bias)
            outputs.update(zip(narrow, torch.split(fused, [layer.out_features for layer in layers], dim=1)))
        return outputs

    def logits(self, x: torch.Tensor, members: List[int]) -> List[torch.Tensor]:
        """The members' logits on x, in the order of `members`."""
        first = self.first_layers(x, members)
        return [self.nets[i][1:](first[i]) for i in members]

    def training_step(self, batch: Tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        total = torch.zeros((), device=x.device)
        active = self.active()
        for i, logits in zip(active, self.logits(x, active)):
            loss = self.loss(logits, y)
            total = total + loss  # the members share no parameter: each gets its own loss's gradient
            self.members[i].epoch_loss += loss.detach() * len(x)  # logged once per epoch: Lightning's
        self.epoch_rows += len(x)                                 # per-step logging costs more than a step
        return total

    def on_train_epoch_start(self) -> None:
        self.epoch_rows, self.trained_this_epoch = 0, self.active()
        for member in self.members:
            member.epoch_loss = torch.zeros((), device=self.device)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        epoch = self.current_epoch
        due = [i for i in self.active() if (epoch + 1) % self.members[i].hp["check_val_every_n_epoch"] == 0]
        for i, scores in zip(due, self.validation_probabilities(due)):
            self.check(i, *self.validator(scores))

    def validation_probabilities(self, members: List[int]) -> List[np.ndarray]:
        """Every due member's validation outputs (Lightning has put them in eval mode), the validation set
        read once for all of them."""
        outputs: List[List[torch.Tensor]] = [[] for _ in members]
        with torch.no_grad():
            for block in device_chunks(self.validation_x, self.device) if members else []:
                for parts, logits in zip(outputs, self.logits(block, members)):
                    parts.append(as_probabilities(logits, self.multiclass))
        return [torch.cat(parts).numpy() for parts in outputs]

    def check(self, i: int, score: float, details: Dict[str, Any]) -> None:
        """Early stopping of one member on its validation score, as Lightning's EarlyStopping would."""
        member, name = self.members[i], self.names[i]
        nan = math.isnan(score)
        if nan:  # e.g. no predicted events: the worst possible
            score = -math.inf if self.maximize else math.inf
        self.log(f"{name}/val_score", float(score) if math.isfinite(score) else (-1e9 if self.maximize else 1e9),
                 batch_size=1)
        if member.best_state is None or is_better(score, member.best_score, self.maximize):
            member.best_score, member.best_epoch, member.best_details = score, self.current_epoch, details
            member.best_state = {k: v.detach().clone() for k, v in self.nets[i].state_dict().items()}
            member.checks_without_improvement = 0
        else:
            member.checks_without_improvement += 1
        if (nan and self.stop_on_nan_score  # as the original kit's EarlyStopping (check_finite) did
                or member.checks_without_improvement >= member.hp["patience"]):
            self.stop(i)

    def stop(self, i: int) -> None:
        member = self.members[i]
        member.stopped, member.epochs_trained = True, self.current_epoch + 1
        member.seconds = time.perf_counter() - self.started
        if self.on_stop is not None:
            self.on_stop(i, member.best_score)
        if not self.active():
            self.trainer.should_stop = True

    def on_train_epoch_end(self) -> None:
        for i in self.trained_this_epoch:
            self.log(f"{self.names[i]}/train_loss", self.members[i].epoch_loss / max(self.epoch_rows, 1))
        for i in self.active():
            if self.current_epoch + 1 >= self.members[i].hp["max_epochs"]:
                self.stop(i)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return fused_adam([{"params": list(net.parameters()), "lr": member.hp["lr"]}
                           for net, member in zip(self.nets, self.members)])

    def best_network(self, i: int) -> nn.Sequential:
        """Member i's network with the weights of its best check."""
        net = self.nets[i]
        if self.members[i].best_state is not None:
            net.load_state_dict(self.members[i].best_state)
        return net
