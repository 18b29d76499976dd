"""Event-based and segment-based scores against sed_eval."""

import math

import numpy as np
import pytest

from heareval.score import available_scores, primary_value
from tests.score.test_classification import LABEL_TO_IDX, LABELS


def random_events(rng, files, n_events, duration=30.0, jitter_from=None):
    """Random events (ms); with jitter_from, perturbed copies of those plus extra and missing events."""
    events = {}
    for f in files:
        if jitter_from is not None:
            kept = [e for e in jitter_from.get(f, []) if rng.random() > 0.2]
            out = []
            for e in kept:
                shift = rng.normal(0, 150)
                length = (e["end"] - e["start"]) * rng.uniform(0.6, 1.4)
                label = e["label"] if rng.random() > 0.15 else LABELS[rng.integers(len(LABELS))]
                start = max(0.0, e["start"] + shift)
                out.append({"label": label, "start": start, "end": start + length})
            if rng.random() < 0.5:  # invalid estimates sed_eval still scores: negative onset, end before start
                out.append({"label": LABELS[0], "start": -rng.uniform(1, 400), "end": rng.uniform(100, 900)})
                out.append({"label": LABELS[1], "start": 5000.0, "end": 4000.0})
            for _ in range(rng.integers(0, 3)):
                start = rng.uniform(0, duration * 1000)
                out.append({"label": LABELS[rng.integers(len(LABELS))], "start": start,
                            "end": start + rng.uniform(100, 3000)})
            events[f] = out
        else:
            events[f] = []
            for _ in range(rng.integers(0, n_events + 1)):
                start = float(np.round(rng.uniform(0, duration * 1000), 1))
                events[f].append({"label": LABELS[rng.integers(len(LABELS))], "start": start,
                                  "end": start + float(np.round(rng.uniform(50, 4000), 1))})
    return events


def sed_eval_scores(metric_class, params, predictions, targets, files=None):
    """sed_eval called per file as the original heareval did, over `files`: by default every reference
    file and every predicted one (heareval's rule; the original went over the predicted files only, which
    is the same whenever every test file has a predictions entry, as training writes)."""
    from dcase_util.containers import MetaDataContainer

    def container(events):
        return MetaDataContainer([{"event_label": str(e["label"]), "event_onset": e["start"] / 1000.0,
                                   "event_offset": e["end"] / 1000.0, "file": f}
                                  for f, file_events in events.items() for e in file_events])

    reference, estimated = container(targets), container(predictions)
    metrics = metric_class(event_label_list=LABELS, **params)
    for filename in files if files is not None else list(targets) + [f for f in predictions if f not in targets]:
        metrics.evaluate(reference_event_list=reference.filter(filename=filename),
                         estimated_event_list=estimated.filter(filename=filename))
    return metrics.results_overall_metrics()


EVENT_SCORES = ["event_onset_200ms_fms", "event_onset_50ms_fms", "event_onset_offset_50ms_20perc_fms"]


def assert_close(a, b):
    assert (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-9, (a, b)


def test_a_file_missing_from_the_predictions_counts_as_missed_unlike_the_original():
    """A deliberate difference (README, Evaluation): the original scored only the files in the predictions,
    so a test file left out of them lowered nothing."""
    import sed_eval

    targets = {"a.wav": [{"label": "a", "start": 1000.0, "end": 2000.0}],
               "b.wav": [{"label": "b", "start": 500.0, "end": 900.0}]}
    predictions = {"a.wav": [{"label": "a", "start": 1010.0, "end": 1990.0}]}
    score = available_scores["event_onset_200ms_fms"](label_to_idx=LABEL_TO_IDX)
    ours = dict(score(predictions, targets))
    original = sed_eval_scores(sed_eval.sound_event.EventBasedMetrics, score.params, predictions, targets,
                               files=list(predictions))["f_measure"]
    assert (ours["precision"], ours["recall"]) == (1.0, 0.5)
    assert (original["precision"], original["recall"]) == (1.0, 1.0)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("name", EVENT_SCORES)
def test_event_based_scores_equal_sed_eval(seed, name):
    import sed_eval

    rng = np.random.default_rng(seed)
    files = [f"f{i}.wav" for i in range(rng.integers(1, 6))]
    targets = random_events(rng, files, 12)
    predictions = random_events(rng, files, 12, jitter_from=targets)
    score = available_scores[name](label_to_idx=LABEL_TO_IDX)
    ours = dict(score(predictions, targets))
    reference = sed_eval_scores(sed_eval.sound_event.EventBasedMetrics, score.params, predictions, targets)
    for key in ("f_measure", "precision", "recall"):
        assert_close(ours[key], reference["f_measure"][key])


@pytest.mark.parametrize("seed", range(6))
def test_segment_based_error_rate_equals_sed_eval(seed):
    import sed_eval

    rng = np.random.default_rng(seed)
    files = [f"f{i}.wav" for i in range(rng.integers(1, 6))]
    targets = random_events(rng, files, 10)
    predictions = random_events(rng, files, 10, jitter_from=targets)
    ours = dict(available_scores["segment_1s_er"](label_to_idx=LABEL_TO_IDX)(predictions, targets))
    reference = sed_eval_scores(sed_eval.sound_event.SegmentBasedMetrics, {"time_resolution": 1.0},
                                predictions, targets)
    for key in ("error_rate", "substitution_rate", "deletion_rate", "insertion_rate"):
        assert_close(ours[key], reference["error_rate"][key])


@pytest.mark.parametrize("case", ["no_predicted_events", "single_file", "class_never_present", "exact"])
def test_event_scores_on_edge_inputs_equal_sed_eval(case):
    import sed_eval

    rng = np.random.default_rng(7)
    targets = random_events(rng, ["x.wav", "y.wav"], 8)
    targets["x.wav"].append({"label": "a", "start": 100.0, "end": 900.0})
    if case == "no_predicted_events":
        predictions = {f: [] for f in targets}
    elif case == "single_file":
        targets = {"x.wav": targets["x.wav"]}
        predictions = random_events(rng, ["x.wav"], 8, jitter_from=targets)
    elif case == "class_never_present":
        targets = {f: [e for e in events if e["label"] != "d"] for f, events in targets.items()}
        predictions = random_events(rng, list(targets), 8, jitter_from=targets)
    else:
        predictions = {f: [dict(e) for e in events] for f, events in targets.items()}
    for name in EVENT_SCORES:
        score = available_scores[name](label_to_idx=LABEL_TO_IDX)
        reference = sed_eval_scores(sed_eval.sound_event.EventBasedMetrics, score.params, predictions, targets)
        assert_close(primary_value(score(predictions, targets)), reference["f_measure"]["f_measure"])
    reference = sed_eval_scores(sed_eval.sound_event.SegmentBasedMetrics, {"time_resolution": 1.0},
                                predictions, targets)
    ours = available_scores["segment_1s_er"](label_to_idx=LABEL_TO_IDX)(predictions, targets)
    assert_close(primary_value(ours), reference["error_rate"]["error_rate"])
    if case == "exact":
        assert primary_value(ours) == 0.0
