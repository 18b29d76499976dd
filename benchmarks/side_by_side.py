"""Training steps of a grid's networks one at a time vs side by side (heareval's PredictorBundle).

    python benchmarks/side_by_side.py [--grid faster] [--grid-points 8] [--rows 60300] [--labels 11]

Random embeddings of hearbaseline's size (4096); each step gathers a batch of 1024 rows and trains every
network on it, as the grid search does. Prints the median step time of each way and the floor (the FLOPs
of one step of every network, 6 x batch x parameters, at this machine's 1024 x 4096 by 4096 x 1024 rate).
"""

import argparse
import statistics
import time

import torch
from predictions import matmul_rate

from heareval.predictions.bundle import PredictorBundle
from heareval.predictions.grid import GRIDS, sample_grid
from heareval.predictions.model import parameter_count


def step_seconds(bundles: list, x: torch.Tensor, y: torch.Tensor, batch: int, repeats: int) -> float:
    """Median seconds of one step of every bundle on the same random batch."""
    optimizers = [bundle.configure_optimizers() for bundle in bundles]
    for bundle in bundles:
        bundle.on_train_epoch_start()
    buffer = torch.empty(batch, x.shape[1])
    times = []
    for step in range(repeats + 3):
        start = time.perf_counter()
        rows = torch.randint(len(x), (batch,))
        torch.index_select(x, 0, rows, out=buffer)
        for bundle, optimizer in zip(bundles, optimizers):
            optimizer.zero_grad(set_to_none=True)
            bundle.training_step((buffer, y[rows]), step).backward()
            optimizer.step()
        if step >= 3:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--grid", default="faster")
    parser.add_argument("--grid-points", type=int, default=8)
    parser.add_argument("--rows", type=int, default=60300)
    parser.add_argument("--labels", type=int, default=11)
    parser.add_argument("--dim", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--seed", type=int, default=43)
    args = parser.parse_args()
    points = sample_grid(GRIDS[args.grid], args.grid_points, args.seed)
    x = torch.randn(args.rows, args.dim)
    y = (torch.rand(args.rows, args.labels) < 0.2).float()
    batch = points[0]["batch_size"]

    def bundle(chosen: list) -> PredictorBundle:
        return PredictorBundle(args.dim, args.labels, False, chosen, args.seed, True, None, None)

    floor = sum(6 * batch * parameter_count(args.dim, args.labels, hp) for hp in points) / (
        matmul_rate(args.dim, 1024) * 1e9)
    print("networks:", ", ".join(f"{hp['hidden_layers']}x{hp['hidden_dim']}" if hp["hidden_layers"] else "linear"
                                 for hp in points))
    alone = step_seconds([bundle([hp]) for hp in points], x, y, batch, args.repeats)
    together = step_seconds([bundle(points)], x, y, batch, args.repeats)
    print(f"one step of every network: floor {floor * 1e3:.1f} ms, one at a time {alone * 1e3:.1f} ms "
          f"({alone / floor:.2f} x floor), side by side {together * 1e3:.1f} ms ({together / floor:.2f} x floor); "
          f"speed-up {alone / together:.2f}x")


if __name__ == "__main__":
    main()
