"""Chance levels of the primary scores."""

import numpy as np
import pytest

from heareval.evaluation.chance import chance_level, clearly_above_chance
from tests.evaluation.conftest import finished_scene_task


def test_chance_of_map_on_a_kfold_task_is_the_folds_mean_prevalence(tmp_path):
    task = finished_scene_task(tmp_path / "tags", multilabel=True, kfold=3)
    prevalences = [np.load(task / f"fold{i:02d}.predictions.npz")["targets"].mean() for i in range(3)]
    assert chance_level("mAP", task) == (pytest.approx(np.mean(prevalences)), True)
    assert chance_level("top1_acc", task) == (pytest.approx(1 / 3), True)


def test_clearly_above_chance_needs_twice_chance_and_a_margin_or_halfway_to_one():
    assert clearly_above_chance(0.2, 0.1, maximize=True) and not clearly_above_chance(0.19, 0.1, maximize=True)
    assert clearly_above_chance(0.75, 0.5, maximize=True) and not clearly_above_chance(0.7, 0.5, maximize=True)
    assert clearly_above_chance(0.1, 0.0, maximize=True) and not clearly_above_chance(0.09, 0.0, maximize=True)
    assert clearly_above_chance(0.9, 1.0, maximize=False) and not clearly_above_chance(0.95, 1.0, maximize=False)
    assert not clearly_above_chance(float("nan"), 0.1, maximize=True)
