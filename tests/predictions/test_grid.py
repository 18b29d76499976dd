"""Grid points that train identically are found, and only those."""

from heareval.predictions.grid import GRIDS, first_with_same_training, sample_grid


def test_linear_points_that_differ_only_in_options_they_do_not_use_train_once():
    linear = {"hidden_layers": 0, "hidden_dim": 64, "dropout": 0.1, "hidden_norm": "batchnorm",
              "lr": 1e-3, "patience": 3, "max_epochs": 10, "check_val_every_n_epoch": 1, "batch_size": 1024,
              "initialization": "xavier_normal"}
    hidden = {**linear, "hidden_layers": 1}
    points = [linear, {**linear, "hidden_dim": 128}, {**linear, "hidden_norm": "layernorm", "dropout": 0.0},
              {**linear, "lr": 1e-4}, {**linear, "initialization": "xavier_uniform"}, {**linear, "patience": 1},
              hidden, {**hidden, "hidden_dim": 128}, {**hidden, "dropout": 0.0}, dict(hidden)]
    assert first_with_same_training(points) == [0, 0, 0, 3, 4, 5, 6, 7, 8, 6]


def test_the_faster_grid_samples_linear_points_that_train_alike():
    points = sample_grid(GRIDS["faster"], 8, 43)
    assert first_with_same_training(points) == [0, 1, 2, 3, 4, 2, 6, 1], "seed 43's duplicates (benchmarks)"
    assert first_with_same_training(sample_grid(GRIDS["default"], 8, 43)) == list(range(8)), "all hidden"
