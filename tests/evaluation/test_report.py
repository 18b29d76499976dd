"""Tables, normalized scores, plots and the printed summary of evaluation results."""

import json
from pathlib import Path

import pandas as pd
import pytest

from heareval.errors import UserError
from heareval.evaluation.reference import Reference
from heareval.evaluation.report import (
    SEEDS_STATEMENT,
    check_output_names,
    cost_table,
    normalized_scores,
    primary_table,
    publish,
    seeds_cell,
    to_markdown,
    write_table,
)

RESULTS = {"a": {"t1": {"primary_score": "top1_acc", "top1_acc": 0.5},
                 "t2": {"primary_score": "segment_1s_er", "segment_1s_er": 0.4}},
           "b": {"t1": {"primary_score": "top1_acc", "top1_acc": 0.25},
                 "t2": {"primary_score": "segment_1s_er", "segment_1s_er": 0.8}}}


def test_plot_normalization_by_best_module_or_reference():
    results = RESULTS
    frame = normalized_scores(results).set_index(["module", "task"])["normalized"]
    assert frame[("a", "t1")] == 1.0 and frame[("b", "t1")] == 0.5
    assert frame[("a", "t2")] == 1.0 and frame[("b", "t2")] == 0.5, "error rates: lower is better"
    reference = Reference("r.json", {"t1": {"reference": 1.0}, "t2": {"reference": 0.2}}, {})
    frame = normalized_scores(results, reference).set_index(["module", "task"])["normalized"]
    assert frame[("a", "t1")] == 0.5 and frame[("a", "t2")] == 0.5


def test_printed_tables_show_missing_values_as_a_dash():
    cost = {"wall_seconds": 146.63, "cpu_seconds": 13.04, "peak_memory_mb": 725.4}
    results = {"a": {"t1": {"primary_score": "top1_acc", "top1_acc": 0.95833, "cost": {"predictions": cost}}},
               "b": {"t2": {"primary_score": "mAP", "mAP": 0.5}}}
    scores = to_markdown(primary_table(results)).splitlines()
    assert scores[2] == "| a | 0.9583 | - |" and scores[3] == "| b | - | 0.5000 |"
    costs = to_markdown(cost_table(results).set_index("module"), float_format="{:g}").splitlines()
    assert costs[2] == "| a | t1 | predictions | 146.6 | 13 | 725 | - | - |", "no GPU, no energy meter: a dash"


def test_table_shows_the_primary_scores_interval_beside_it():
    entry = {"primary_score": "top1_acc", "top1_acc": 0.9, "top1_acc_ci": [0.85, 0.95], "mAP_ci": [0.1, 0.2],
             "bootstrap": {"resamples": 1000, "confidence": 0.9, "drawn": "rows"}}
    table = primary_table({"a": {"t": entry}})
    assert list(table.columns) == ["t (top1_acc)", "t (top1_acc) 90% CI"]
    assert to_markdown(table).splitlines()[2] == "| a | 0.9000 | [0.8500, 0.9500] |"


def test_table_shows_the_seed_spread_beside_the_bootstrap_interval():
    entry = {"primary_score": "top1_acc", "top1_acc": 0.9, "top1_acc_ci": [0.85, 0.95],
             "bootstrap": {"resamples": 100, "confidence": 0.95, "drawn": "rows"},
             "seed_summary": {"fold00": {"test_top1_acc": {"mean": 0.90, "std": 0.02}},
                              "fold01": {"test_top1_acc": {"mean": 0.80, "std": 0.04}}}}
    table = primary_table({"a": {"t": entry}})
    assert table.loc["a", "t (top1_acc) seeds mean ± std"] == "0.8500 ± 0.0300", "fold means of mean and std"
    assert table.loc["a", "t (top1_acc) 95% CI"] == "[0.8500, 0.9500]"


@pytest.mark.parametrize("table, plot, message", [
    ("t.xlsx", None, "--table t.xlsx: use a .md or .csv file name"),
    (None, "p.jpg", "--plot p.jpg: use a .png, .pdf, .svg file name"),
])
def test_unknown_table_or_plot_formats_are_refused(table, plot, message):
    with pytest.raises(UserError, match=message):
        check_output_names(table and Path(table), plot and Path(plot))
    check_output_names(Path("t.csv"), Path("p.svg"))


def test_a_csv_table_holds_the_same_values_as_the_markdown_one(tmp_path):
    write_table(RESULTS, tmp_path / "t.csv")
    write_table(RESULTS, tmp_path / "t.md")
    frame = pd.read_csv(tmp_path / "t.csv", index_col="module")
    assert list(frame.columns) == ["t1 (top1_acc)", "t2 (segment_1s_er)"]
    assert frame.loc["b", "t1 (top1_acc)"] == 0.25 and frame.loc["a", "t2 (segment_1s_er)"] == 0.4
    assert (tmp_path / "t.md").read_text().splitlines()[3] == "| b | 0.2500 | 0.8000 |"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.md"], "no temporary left behind"


def test_a_seed_cell_without_the_primary_score_is_a_dash():
    entry = {"seed_summary": {"test": {"test_mAP": {"mean": 0.5, "std": 0.1}}}}
    assert seeds_cell(entry, "top1_acc") == "-" and seeds_cell(entry, "mAP") == "0.5000 ± 0.1000"


def test_normalized_scores_of_no_results_and_of_tasks_without_a_published_score():
    assert normalized_scores({}).empty
    reference = Reference("r.json", {"t1": {"reference": 1.0}}, {})
    frame = normalized_scores(RESULTS, reference)
    assert sorted(frame["task"]) == ["t1", "t1"], "t2 has no published score: left out"


def test_publish_writes_the_results_and_prints_the_tables_and_summaries(tmp_path, capsys):
    cost = {"wall_seconds": 10.04, "cpu_seconds": 20.0, "peak_memory_mb": 300.0}
    seeds = {"test": {"test_top1_acc": {"mean": 0.5, "std": 0.0}}}
    results = {"a": {"t1": {**RESULTS["a"]["t1"], "cost": {"embeddings": cost}, "seed_summary": seeds}}}
    publish(results, tmp_path / "r.json", tmp_path / "t.md",
            reference=Reference("r", {"t1": {"m1": 1.0, "m2": 0.2}}, {}))
    written = json.loads((tmp_path / "r.json").read_text())
    assert written["a"]["t1"]["comparison"]["normalized"] == 0.5
    printed = capsys.readouterr()
    assert to_markdown(primary_table(written)) in printed.out and SEEDS_STATEMENT in printed.out
    assert "a: mean normalized score 0.5000 over 1 task(s) with a published score in r" in printed.out
    assert "| a | t1 | embeddings | 10 | 20 | 300 | - | - |" in printed.out
    assert f"results: {tmp_path / 'r.json'}" in printed.err
    assert (tmp_path / "t.md").read_text() == to_markdown(primary_table(written))
