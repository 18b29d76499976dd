"""The LightningModule that trains several grid points' networks (model.py) side by side."""

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import lightning as L
import torch
from torch import nn
from torch.nn import functional as F

from heareval.predictions.grid import GridPoint
from heareval.predictions.model import (
    FUSE_BELOW,
    as_probabilities,
    build_network,
    device_chunks,
    loss_function,
)
from heareval.predictions.setup import Validator
from heareval.score import is_better


def fused_adam(groups: List[Dict[str, Any]]) -> torch.optim.Optimizer:
    """Adam over parameter groups (one per grid point, each with its "lr") by its fused kernel: on a CPU a
    tenth of the time per step of the default per-tensor loop (measured: 0.25 vs 2.5 ms for a 4096 -> 128
    -> 11 network), the same updates up to rounding. torch before 2.4 has the fused kernel for CUDA only:
    the default loop there."""
    try:
        return torch.optim.Adam(groups, fused=True)
    except RuntimeError:
        return torch.optim.Adam(groups)


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

    With `loss_targets` (the task's use_scoring_for_early_stopping: false), each point stops and keeps its
    best weights on its validation loss instead, and no score is computed during the fit; each check's
    details are then `loss_details` (the task's single post-processing setting).
    """

    def __init__(self, input_dim: int, n_labels: int, multiclass: bool, points: List[GridPoint], seed: int,
                 maximize: bool, validation_x: Any, validator: Validator, stop_on_nan_score: bool = False,
                 names: Optional[List[str]] = None, on_stop: Optional[Callable[[int, float], None]] = None,
                 loss_targets: Optional[torch.Tensor] = None, loss_details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__()
        self.nets = nn.ModuleList()
        for hp in points:
            torch.manual_seed(seed)  # each point starts from the weights it would have alone
            self.nets.append(build_network(input_dim, n_labels, hp))
        self.members = [MemberState(hp, -math.inf if maximize else math.inf) for hp in points]
        self.names = names or [f"gridpoint{i:02d}" for i in range(len(points))]
        self.multiclass, self.maximize, self.stop_on_nan_score = multiclass, maximize, stop_on_nan_score
        self.loss = loss_function(multiclass)
        self.validation_x, self.validator, self.on_stop = validation_x, validator, on_stop
        self.loss_targets, self.loss_details = loss_targets, loss_details or {}
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
        for i, logits in zip(due, self.validation_logits(due)):
            if self.loss_targets is not None:
                self.check(i, float(self.loss(logits, self.loss_targets)), dict(self.loss_details))
            else:
                self.check(i, *self.validator(as_probabilities(logits, self.multiclass).numpy()))

    def validation_logits(self, members: List[int]) -> List[torch.Tensor]:
        """Every due member's validation logits (Lightning has put them in eval mode), the validation set
        read once for all of them."""
        parts: List[List[torch.Tensor]] = [[] for _ in members]
        with torch.no_grad():
            for block in device_chunks(self.validation_x, self.device) if members else []:
                for part, logits in zip(parts, self.logits(block, members)):
                    part.append(logits)
        return [torch.cat(part) for part in parts]

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
