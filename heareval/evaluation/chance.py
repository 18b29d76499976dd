"""Chance levels of the primary scores, to check that a run learned something."""

import math
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np

from heareval.predictionformat import MLP, arrangements, predictions_file, probe_dir, read_predictions
from heareval.score import score_entry
from heareval.taskformat import label_vocabulary, load_task_metadata


def chance_level(score: str, task_dir: Path, probe: str = MLP) -> Tuple[float, bool]:
    """(chance value, maximize): what a guess without listening gets, as the score registry declares it."""
    entry = score_entry(score)
    vocabulary = label_vocabulary(task_dir)

    def positive_rate() -> float:
        tests = [arrangement.test for arrangement in arrangements(load_task_metadata(task_dir))]
        outputs = probe_dir(task_dir, probe)
        targets = [read_predictions(outputs / predictions_file(test), vocabulary)["targets"] for test in tests]
        return float(np.mean([t.mean() for t in targets]))  # each fold's, averaged as its scores are

    return entry.chance.level(len(vocabulary), positive_rate), entry.maximize


def clearly_above_chance(value: float, chance: float, maximize: bool) -> bool:
    """At least twice chance and 0.1 better for scores up to 1, or halfway from chance to 1 where that is
    nearer (AUC-ROC: chance 0.5, so 0.75); 0.1 below for error rates."""
    if math.isnan(value):
        return False
    if maximize:
        return value >= min(max(2 * chance, chance + 0.1), chance + (1 - chance) / 2)
    return value <= chance - 0.1


def failures_below_chance(results: Dict[str, Dict[str, Dict[str, Any]]], embeddings_dir: Path) -> List[str]:
    problems = []
    for module, tasks in results.items():
        for task, entry in tasks.items():
            name = entry["primary_score"]
            module_name = module[:-len(entry["probe"]) - 1] if entry.get("probe", MLP) != MLP else module
            chance, maximize = chance_level(name, embeddings_dir / module_name / task, entry.get("probe", MLP))
            if not clearly_above_chance(entry[name], chance, maximize):
                problems.append(f"{module}/{task}: {name} {entry[name]:.4f} is not clearly "
                                f"{'above' if maximize else 'below'} chance ({chance:.4f})")
    return problems
