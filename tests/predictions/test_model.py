"""TensorBatches: every row once per epoch, reproducible, and batches that stay intact while held."""

import numpy as np
import torch

from heareval.predictions.model import TensorBatches


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
