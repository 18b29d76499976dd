"""TensorBatches: every row once per epoch, reproducible, and batches that stay intact while held;
initialization as HEAR 2021; which grid points train side by side."""

import numpy as np
import torch

from heareval.predictions import model as model_module
from heareval.predictions.grid import DEFAULT_GRID
from heareval.predictions.model import TensorBatches, build_network


def test_batches_cover_every_row_once_and_stay_intact_while_prefetched():
    x = torch.arange(2600 * 3, dtype=torch.float32).reshape(2600, 3)
    y = torch.arange(2600)
    batches = TensorBatches(x, y, batch_size=256, seed=5, device=torch.device("cpu"))
    seen = []
    held = []  # Lightning trains on one batch while holding the one it prefetched; a third is a margin
    for batch_x, batch_y in batches:
        held.append((batch_x, batch_y, batch_x.clone()))
        if len(held) > TensorBatches.RING:
            held.pop(0)
        for kept_x, kept_y, copy in held:
            assert torch.equal(kept_x, copy) and torch.equal(kept_x, x[kept_y])
        seen.append(batch_y.clone())
    rows = torch.cat(seen)
    assert sorted(rows.tolist()) == list(range(2600)) and len(seen) == len(batches) == 11
    again = torch.cat([b for _, b in TensorBatches(x, y, 256, seed=5, device=torch.device("cpu"))])
    assert torch.equal(again, rows)
    assert not torch.equal(torch.cat([b for _, b in batches]), rows)  # the next epoch is shuffled anew


def test_memmap_batches_match_in_memory_rows(tmp_path):
    x = np.random.default_rng(0).random((500, 4), dtype=np.float32)
    path = tmp_path / "x.npy"
    x.tofile(path)
    mapped = np.memmap(path, dtype=np.float32, mode="r", shape=x.shape)
    for batch_x, batch_y in TensorBatches(mapped, torch.arange(500), 64, seed=1, device=torch.device("cpu")):
        assert np.array_equal(batch_x.numpy(), x[batch_y.numpy()])


def test_layers_are_initialized_as_hear_2021_did():
    """Xavier with the gain of the activation before each layer (sqrt(2) after a ReLU), default biases."""
    torch.manual_seed(0)
    for name, spread in (("xavier_uniform", lambda bound: bound / np.sqrt(3)), ("xavier_normal", lambda std: std)):
        hp = {"hidden_layers": 1, "hidden_dim": 512, "dropout": 0.1, "hidden_norm": "batchnorm",
              "initialization": name}
        hidden, output = (m for m in build_network(2048, 256, hp) if isinstance(m, torch.nn.Linear))
        scale = {"xavier_uniform": np.sqrt(6 / (2048 + 512)), "xavier_normal": np.sqrt(2 / (2048 + 512))}[name]
        assert abs(hidden.weight.std().item() / spread(scale) - 1) < 0.02
        scale = {"xavier_uniform": np.sqrt(6 / (512 + 256)), "xavier_normal": np.sqrt(2 / (512 + 256))}[name]
        assert abs(output.weight.std().item() / (np.sqrt(2) * spread(scale)) - 1) < 0.02
        for layer in (hidden, output):  # PyTorch's default: uniform within 1 / sqrt(fan_in)
            bound = 1 / np.sqrt(layer.in_features)
            assert layer.bias.abs().max() <= bound and layer.bias.std() > 0.5 * bound / np.sqrt(3)
    linear_only = build_network(2048, 256, {**hp, "hidden_layers": 0, "initialization": "xavier_uniform"})
    assert abs(linear_only[0].weight.std().item() / (np.sqrt(6 / (2048 + 256)) / np.sqrt(3)) - 1) < 0.02


def test_narrow_points_are_grouped_and_wide_ones_train_alone(monkeypatch):
    base = {k: v[0] for k, v in DEFAULT_GRID.items()}
    narrow, wide = {**base, "hidden_dim": 64}, {**base, "hidden_dim": 1024}
    linear, other_batch = {**base, "hidden_layers": 0}, {**base, "hidden_dim": 64, "batch_size": 256}
    points = [narrow, wide, linear, other_batch, narrow, wide]
    assert model_module.side_by_side(points, 512, 10) == [[0, 2, 4], [1], [3], [5]]
    monkeypatch.setattr(model_module, "BUNDLE_PARAMETERS", 2 * (512 * 64 + 64 + 64 * 10 + 10))
    assert model_module.side_by_side(points, 512, 10) == [[0, 2], [1], [3], [4], [5]]
