"""The shallow downstream predictor: fully connected networks, their batches and outputs, and which grid
points train side by side (the Lightning module that trains them is bundle.py)."""

from typing import Any, Dict, Iterator, List, Tuple

import numpy as np
import torch
from torch import nn

from heareval.predictions.grid import GridPoint

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


def loss_function(multiclass: bool) -> nn.Module:
    """The training loss on logits: cross-entropy against class indices, or binary cross-entropy."""
    return nn.CrossEntropyLoss() if multiclass else nn.BCEWithLogitsLoss()


def predict_logits(net: nn.Module, x: Any, device: torch.device) -> torch.Tensor:
    """A trained network's logits for every row of x, in eval mode, on the CPU."""
    was_training = net.training
    net.eval()
    with torch.no_grad():
        outputs = [net(block).float().cpu() for block in device_chunks(x, device)]
    net.train(was_training)
    return torch.cat(outputs)
