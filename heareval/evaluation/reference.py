"""Published scores to compare results against: the HEAR 2021 leaderboard shipped with heareval, or a
JSON file of the user's own `{task: score}`. A result is compared only with the scores of its own task
folder (task, version and mode); other tasks, such as the small synthetic ones, have no reference."""

import csv
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from heareval.errors import UserError
from heareval.taskformat import is_finite_number, read_json

HEAR2021 = "hear2021"
HEAR2021_FILE = "hear2021_leaderboard.csv"  # its source and date: references/README.md
NO_REFERENCE = "no published reference"


@dataclass(frozen=True)
class LeaderboardColumn:
    task: str  # the task folder name hearpreprocess gives it: task_name-version-mode
    category: str


# The leaderboard's column names, as the site's per-task result tables name their tasks. "Beehive" is the
# site's beehive_states-v2-full; hearpreprocess 2021.1.1 builds beehive_states_fold0 and _fold1 instead,
# which are therefore not compared.
HEAR2021_COLUMNS: Dict[str, LeaderboardColumn] = {
    "Beehive": LeaderboardColumn("beehive_states-v2-full", "environmental"),
    "Beijing Opera": LeaderboardColumn("beijing_opera-v1.0-hear2021-full", "music"),
    "CREMA-D": LeaderboardColumn("tfds_crema_d-1.0.0-full", "speech"),
    "DCASE 2016": LeaderboardColumn("dcase2016_task2-hear2021-full", "environmental"),
    "ESC-50": LeaderboardColumn("esc50-v2.0.0-full", "environmental"),
    "FSD50K": LeaderboardColumn("fsd50k-v1.0-full", "environmental"),
    "GTZAN Genre": LeaderboardColumn("tfds_gtzan-1.0.0-full", "music"),
    "GTZAN Music/Speech": LeaderboardColumn("tfds_gtzan_music_speech-1.0.0-full", "music"),
    "Gunshot": LeaderboardColumn("gunshot_triangulation-v1.0-full", "environmental"),
    "Libricount": LeaderboardColumn("libricount-v1.0.0-hear2021-full", "speech"),
    "Maestro 5h": LeaderboardColumn("maestro-v3.0.0-5h", "music"),
    "Mridangam Stroke": LeaderboardColumn("mridangam_stroke-v1.5-full", "music"),
    "Mridangam Tonic": LeaderboardColumn("mridangam_tonic-v1.5-full", "music"),
    "NSynth Pitch 50h": LeaderboardColumn("nsynth_pitch-v2.2.3-50h", "music"),
    "NSynth Pitch 5h": LeaderboardColumn("nsynth_pitch-v2.2.3-5h", "music"),
    "Speech commands 5h": LeaderboardColumn("speech_commands-v0.0.2-5h", "speech"),
    "Speech commands full": LeaderboardColumn("speech_commands-v0.0.2-full", "speech"),
    "Vocal Imitation": LeaderboardColumn("vocal_imitation-v1.1.3-full", "speech"),
    "VoxLingua107 top 10": LeaderboardColumn("vox_lingua_top10-hear2021-full", "speech"),
}
LEADERBOARD_INFO_COLUMNS = ("Model", "URL", "Submission Date")


@dataclass
class Reference:
    """Published primary scores: {task folder: {model: score}}; `by_task_name` also matches any folder of
    that task name (a user's JSON keyed by task name)."""

    name: str
    scores: Dict[str, Dict[str, float]]
    categories: Dict[str, str]
    by_task_name: bool = False

    def published(self, task: str) -> Optional[Dict[str, float]]:
        if task in self.scores:
            return self.scores[task]
        return self.scores.get(task.split("-")[0]) if self.by_task_name else None


def hear2021_reference() -> Reference:
    """The published HEAR leaderboard, shipped as package data."""
    text = resources.files("heareval.evaluation").joinpath("references", HEAR2021_FILE).read_text()
    rows = list(csv.DictReader(text.splitlines()))
    unknown = set(rows[0]) - set(HEAR2021_COLUMNS) - set(LEADERBOARD_INFO_COLUMNS)
    if unknown:
        raise ValueError(f"{HEAR2021_FILE}: columns without a task: {sorted(unknown)}")
    scores: Dict[str, Dict[str, float]] = {}
    for column, mapped in HEAR2021_COLUMNS.items():
        scores[mapped.task] = {row["Model"]: float(row[column]) for row in rows if row[column].strip()}
    categories = {mapped.task: mapped.category for mapped in HEAR2021_COLUMNS.values()}
    return Reference(HEAR2021, scores, categories)


def hear2021_task_names() -> set:
    return {mapped.task.split("-")[0] for mapped in HEAR2021_COLUMNS.values()}


def file_reference(path: Path) -> Reference:
    """`--reference FILE`: a JSON object `{task folder or task name: published primary score}`."""
    data = read_json(path)
    if not isinstance(data, dict) or not data or not all(is_finite_number(v) for v in data.values()):
        raise UserError(f"--reference {path}: expected a JSON object {{task: score}} with numeric scores")
    return Reference(str(path), {task: {"reference": float(score)} for task, score in data.items()}, {},
                     by_task_name=True)


def resolve_reference(option: Optional[str], task_names: Sequence[str]) -> Optional[Reference]:
    """The reference `--reference` names: hear2021, a JSON file, or none; by default hear2021 where every
    result is of a HEAR 2021 task (whatever its mode), else none (plots then compare modules with each other)."""
    if option is None:
        return hear2021_reference() if task_names and set(task_names) <= hear2021_task_names() else None
    if option == "none":
        return None
    if option == HEAR2021:
        return hear2021_reference()
    path = Path(option)
    if not path.is_file():
        raise UserError(f"--reference {option}: neither {HEAR2021}, none, nor a JSON file")
    return file_reference(path)


def result_task_names(results: Mapping[str, Mapping[str, Any]]) -> List[str]:
    """The task names of the results' task folders (task_name-version-mode)."""
    return sorted({task.split("-")[0] for tasks in results.values() for task in tasks})


def check_overlap(reference: Reference, result_tasks: Sequence[str]) -> None:
    """A reference that matches none of the results is a mistake (the wrong file, other task names)."""
    if any(reference.published(task) is not None for task in result_tasks):
        return
    if reference.name == HEAR2021:
        return  # the default for HEAR tasks: small and 5h-less modes simply have no published score
    raise UserError(f"--reference {reference.name}: its tasks ({', '.join(sorted(reference.scores))}) match none "
                    f"of the results' tasks ({', '.join(sorted(set(result_tasks)))})")


def comparison(reference: Reference, task: str, score: float, maximize: bool) -> Dict[str, Any]:
    """Where `score` stands among the published ones of `task`: best score and model, rank (1 = better than
    or tied with every published model) among how many, and the score normalized by the best (1 = as good)."""
    published = reference.published(task)
    if not published:
        return {"reference": reference.name, "note": NO_REFERENCE}
    best_model = (max if maximize else min)(published, key=lambda model: published[model])
    best = published[best_model]
    if math.isnan(score):
        better, normalized = len(published), math.nan
    else:
        better = sum(1 for value in published.values() if (value > score if maximize else value < score))
        normalized = normalized_score(score, best, maximize)
    return {"reference": reference.name, "best": best, "best_model": best_model, "rank": better + 1,
            "of": len(published), "normalized": normalized}


def normalized_score(score: float, base: float, maximize: bool) -> float:
    """1 = as good as `base`; below 1 worse, above 1 better (for error rates, base / score)."""
    if maximize:
        return score / base if base else math.nan
    return base / score if score else math.nan


def mean_normalized(comparisons: Mapping[str, Mapping[str, Any]]) -> Dict[str, Any]:
    """The one-number summary of a module: its mean normalized score over the tasks that have a published
    reference, and how many tasks that is."""
    values = [c["normalized"] for c in comparisons.values() if "normalized" in c and not math.isnan(c["normalized"])]
    return {"mean_normalized": sum(values) / len(values) if values else math.nan, "tasks": len(values)}
