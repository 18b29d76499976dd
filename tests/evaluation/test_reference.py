"""The published HEAR leaderboard as a reference: its columns, ranks and normalized scores, the table,
the plot, the default, and a reference that matches nothing."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from heareval.errors import UserError
from heareval.evaluation.reference import (
    HEAR2021,
    HEAR2021_COLUMNS,
    LEADERBOARD_INFO_COLUMNS,
    NO_REFERENCE,
    check_overlap,
    file_reference,
    hear2021_reference,
    resolve_reference,
)
from heareval.evaluation.report import SUMMARY_COLUMN, compare_with_reference, primary_table, write_plot
from tests.evaluation.conftest import finished_scene_task

SHIPPED = Path(__file__).resolve().parents[2] / "heareval" / "evaluation" / "references" / "hear2021_leaderboard.csv"
PREPROCESS_CONFIGS = Path(__file__).resolve().parents[3] / "shared" / "peer" / "hearpreprocess_tasks.json"


def leaderboard_column(name: str) -> dict:
    with open(SHIPPED) as file:
        return {row["Model"]: float(row[name]) for row in csv.DictReader(file) if row[name].strip()}


def test_every_leaderboard_column_is_a_task():
    with open(SHIPPED) as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == len({row["Model"] for row in rows}) == 34  # 29 of HEAR 2021, 2 EfficientAT, 3 CED
    assert set(rows[0]) == set(HEAR2021_COLUMNS) | set(LEADERBOARD_INFO_COLUMNS)
    reference = hear2021_reference()
    assert len(reference.scores) == 19 == len({c.task for c in HEAR2021_COLUMNS.values()})
    for column, mapped in HEAR2021_COLUMNS.items():
        assert reference.scores[mapped.task] == leaderboard_column(column)
        assert all(0 <= v <= 1 for v in reference.scores[mapped.task].values())
        assert mapped.category in ("speech", "music", "environmental")
    assert reference.published("speech_commands-v0.0.2-5h")["CP-JKU PaSST 2lvl"] == 0.680981636


@pytest.mark.skipif(not PREPROCESS_CONFIGS.is_file(), reason="hearpreprocess's configs are beside the project "
                    "checkout only (../shared/peer), not in a clean clone")
def test_leaderboard_tasks_are_hearpreprocess_folders():
    """task_name-version-mode of hearpreprocess 2021.1.1, whose primary score the column holds."""
    configs = json.loads(PREPROCESS_CONFIGS.read_text())
    folders = {f"{c['task_name']}-{c['version']}-{mode}" for c in configs.values() for mode in c["modes"]}
    mapped = {c.task for c in HEAR2021_COLUMNS.values()}
    assert mapped - folders == {"beehive_states-v2-full"}, "documented: the site's name for the Beehive column"


def test_rank_and_normalized_score_of_a_planted_result():
    published = leaderboard_column("Speech commands 5h")
    best_model = max(published, key=published.get)
    score = 0.9
    results = {"mine": {"speech_commands-v0.0.2-5h": {"primary_score": "top1_acc", "top1_acc": score}}}
    compare_with_reference(results, hear2021_reference())
    compared = results["mine"]["speech_commands-v0.0.2-5h"]["comparison"]
    assert compared["best_model"] == best_model and compared["best"] == published[best_model]
    assert compared["rank"] == 1 + sum(v > score for v in published.values())
    assert compared["of"] == len(published)
    assert compared["normalized"] == pytest.approx(score / published[best_model])
    table = primary_table(results)
    column = "speech_commands-v0.0.2-5h (top1_acc)"
    assert table.loc["mine", f"{column} rank"] == f"{compared['rank']} of {len(published) + 1}"
    assert table.loc[f"best published model ({HEAR2021})", column] == best_model
    assert table.loc["mine", SUMMARY_COLUMN] == f"{compared['normalized']:.4f} (1 tasks)"


def test_small_tasks_are_never_compared():
    results = {"mine": {"speech_commands-v0.0.2-small": {"primary_score": "top1_acc", "top1_acc": 0.99},
                        "nsynth_pitch-v2.2.3-5h": {"primary_score": "pitch_acc", "pitch_acc": 0.5}}}
    compare_with_reference(results, hear2021_reference())
    small = results["mine"]["speech_commands-v0.0.2-small"]["comparison"]
    assert small == {"reference": HEAR2021, "note": NO_REFERENCE}
    table = primary_table(results)
    assert table.loc["mine", f"speech_commands-v0.0.2-small (top1_acc) {HEAR2021}"] == NO_REFERENCE
    assert "speech_commands-v0.0.2-small (top1_acc) rank" not in table
    assert table.loc["mine", SUMMARY_COLUMN].endswith("(1 tasks)"), "the mean covers the compared task only"


def test_hear2021_is_the_default_for_hear_tasks_only(tmp_path):
    assert resolve_reference(None, ["speech_commands", "dcase2016_task2"]).name == HEAR2021
    assert resolve_reference(None, ["synthetic", "speech_commands"]) is None
    assert resolve_reference("none", ["speech_commands"]) is None


def test_plot_against_the_leaderboard_is_drawn(tmp_path):
    import matplotlib.image

    results = {"mine": {"speech_commands-v0.0.2-5h": {"primary_score": "top1_acc", "top1_acc": 0.9,
                                                      "category": "speech"},
                        "esc50-v2.0.0-full": {"primary_score": "top1_acc", "top1_acc": 0.7,
                                              "category": "environmental"},
                        "speech_commands-v0.0.2-small": {"primary_score": "top1_acc", "top1_acc": 1.0,
                                                         "category": "speech"}}}
    path = tmp_path / "plot.png"
    write_plot(results, path, hear2021_reference())
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (600, 1200) and float(np.std(pixels)) > 0.01, "not blank"


def test_a_reference_that_matches_no_result_names_both_sets(tmp_path):
    (tmp_path / "ref.json").write_text(json.dumps({"other_task": 0.5}))
    with pytest.raises(UserError, match=r"its tasks \(other_task\) match none of the results' tasks \(mine-v1-full\)"):
        check_overlap(file_reference(tmp_path / "ref.json"), ["mine-v1-full"])

    finished_scene_task(tmp_path / "emb" / "mod" / "synthetic-v1-full")
    result = subprocess.run([sys.executable, "-m", "heareval.evaluation.runner", "--embeddings-dir",
                             str(tmp_path / "emb"), "--reference", "ref.json"], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert ("error: --reference ref.json: its tasks (other_task) match none of the results' tasks "
            "(synthetic-v1-full)") in result.stderr
