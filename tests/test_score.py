"""Every score against its reference implementation (scikit-learn, sed_eval, psds_eval)."""

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import accuracy_score, average_precision_score, roc_auc_score

from heareval.errors import UserError
from heareval.score import RankedPredictions, available_scores, primary_value, score_function

LABELS = ["a", "b", "c", "d"]
LABEL_TO_IDX = {label: i for i, label in enumerate(LABELS)}


def random_scene(rng, n=50, labels=4, multilabel=False):
    predictions = rng.random((n, labels))
    if multilabel:
        targets = (rng.random((n, labels)) < 0.4).astype(float)
    else:
        targets = np.eye(labels)[rng.integers(0, labels, n)]
    return predictions, targets


@pytest.mark.parametrize("seed", range(5))
def test_classification_scores_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    predictions, targets = random_scene(rng)
    assert available_scores["top1_acc"](label_to_idx=LABEL_TO_IDX)(predictions, targets) == accuracy_score(
        targets.argmax(1), predictions.argmax(1))
    assert available_scores["pitch_acc"](label_to_idx=LABEL_TO_IDX).name == "pitch_acc"
    multi_p, multi_t = random_scene(rng, multilabel=True)
    assert available_scores["mAP"](label_to_idx=LABEL_TO_IDX)(multi_p, multi_t) == pytest.approx(
        average_precision_score(multi_t, multi_p, average="macro"), abs=1e-12)
    assert available_scores["aucroc"](label_to_idx=LABEL_TO_IDX)(multi_p, multi_t) == pytest.approx(
        roc_auc_score(multi_t, multi_p, average="macro"), abs=1e-12)
    expected = np.mean(stats.norm().ppf(roc_auc_score(multi_t, multi_p, average=None)) * np.sqrt(2))
    d_prime = available_scores["d_prime"](label_to_idx=LABEL_TO_IDX)(multi_p, multi_t)
    assert d_prime == pytest.approx(expected, abs=1e-12)


def test_chroma_accuracy_ignores_octaves():
    labels = {str(p): i for i, p in enumerate(range(21, 109))}
    targets = np.eye(88)[[0, 12, 5]]
    predictions = np.eye(88)[[12, 24, 6]]  # octave errors, octave errors, a semitone off
    chroma = available_scores["chroma_acc"](label_to_idx=labels)
    assert chroma(predictions, targets) == pytest.approx(accuracy_score([0, 0, 5], [0, 0, 6]))
    assert available_scores["pitch_acc"](label_to_idx=labels)(predictions, targets) == 0.0


def test_class_never_present_is_left_out_of_macro_averages():
    rng = np.random.default_rng(1)
    predictions, targets = random_scene(rng, multilabel=True)
    targets[:, 2] = 0
    keep = [0, 1, 3]
    assert available_scores["mAP"](label_to_idx=LABEL_TO_IDX)(predictions, targets) == pytest.approx(
        average_precision_score(targets[:, keep], predictions[:, keep], average="macro"))
    assert available_scores["aucroc"](label_to_idx=LABEL_TO_IDX)(predictions, targets) == pytest.approx(
        roc_auc_score(targets[:, keep], predictions[:, keep], average="macro"))


def test_the_originals_macro_averages_differ_where_a_class_is_absent():
    """A deliberate difference (README, Evaluation): the original kit (heareval 2021.1.3) called scikit-learn
    on every column, so an absent class counted as an AP of 0 and made aucroc and d_prime NaN."""
    import warnings

    rng = np.random.default_rng(1)
    predictions, targets = random_scene(rng, multilabel=True)
    targets[:, 2] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        original_map = average_precision_score(targets, predictions, average="macro")
        try:  # older scikit-learn raised here, and the original returned NaN; newer returns NaN itself
            original_auc = roc_auc_score(targets, predictions, average="macro")
        except ValueError:
            original_auc = math.nan
    ours = available_scores["mAP"](label_to_idx=LABEL_TO_IDX)(predictions, targets)
    assert original_map == pytest.approx(ours * 3 / 4), "the absent class adds an AP of 0 to the original's mean"
    assert math.isnan(original_auc)
    assert not math.isnan(available_scores["aucroc"](label_to_idx=LABEL_TO_IDX)(predictions, targets))
    assert math.isnan(available_scores["d_prime"](label_to_idx=LABEL_TO_IDX)(predictions, np.zeros_like(targets)))


@pytest.mark.parametrize("seed", range(8))
def test_reweighted_rankings_equal_sklearn_on_the_rows_repeated(seed):
    """A bootstrap resample as row weights over one ranking: ties (rounded predictions), rows drawn
    twice or not at all, classes left without positives or negatives by the draw."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 80))
    predictions = np.round(rng.random((n, 5)), 1)
    targets = (rng.random((n, 5)) < [0.02, 0.1, 0.5, 0.9, 0.98]).astype(float)
    ranked = RankedPredictions(predictions, targets)
    for _ in range(10):
        draw = rng.integers(0, n, n)
        p, t = predictions[draw], targets[draw]
        ranking = ranked.weighted(np.bincount(draw, minlength=n))
        has_positives = t.sum(0) > 0
        both = has_positives & (t.sum(0) < n)
        np.testing.assert_allclose(ranking.average_precision()[has_positives],
                                   [average_precision_score(t[:, c], p[:, c]) for c in np.flatnonzero(has_positives)],
                                   rtol=1e-12)
        np.testing.assert_allclose(ranking.roc_auc()[both],
                                   [roc_auc_score(t[:, c], p[:, c]) for c in np.flatnonzero(both)], rtol=1e-12)
        for name in ("mAP", "aucroc", "d_prime"):
            score = score_function(name, LABEL_TO_IDX | {"e": 4})
            np.testing.assert_allclose(score.weighted(ranking), score(p, t), rtol=1e-12, equal_nan=True)
        mean_auc = score_function("aucroc", LABEL_TO_IDX | {"e": 4}).weighted(ranking)
        assert mean_auc == pytest.approx(roc_auc_score(t[:, both], p[:, both], average="macro"), rel=1e-12) \
            if both.any() else math.isnan(mean_auc), "classes all positive or all negative are left out"


def test_every_score_says_whether_it_is_maximized():
    for name in available_scores:
        score = available_scores[name](label_to_idx=LABEL_TO_IDX)
        assert score.maximize == (name != "segment_1s_er")


def test_unknown_score_names_the_valid_ones():
    with pytest.raises(UserError, match="valid scores: top1_acc"):
        score_function("accuracy", LABEL_TO_IDX)


# --- event scores against sed_eval ---------------------------------------------------------------

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


# --- DCASE metrics from frame-level scores -------------------------------------------------------

def frame_predictions(rng, targets, n_frames=400, hop_ms=50.0):
    """Noisy frame probabilities that follow the targets."""
    predictions = {}
    times = np.arange(n_frames) * hop_ms
    for f, events in targets.items():
        probabilities = rng.random((n_frames, len(LABELS))) * 0.4
        for e in events:
            inside = (times >= e["start"]) & (times <= e["end"])
            probabilities[inside, LABELS.index(e["label"])] += rng.uniform(0.3, 0.6)
        predictions[f] = {"timestamps": times.tolist(), "probabilities": np.clip(probabilities, 0, 1).tolist()}
    return predictions


def psds_eval_on_current_libraries(monkeypatch):
    """The reference library psds_eval 0.5 calls DataFrame.fillna(method="ffill"), which pandas 3 removed,
    and int() of a one-element 2-D array, which numpy 2 refuses: there it gets the same forward fill through
    ffill() and that element through a squeezed array."""
    import types

    import pandas as pd
    from psds_eval import psds as psds_module

    original = pd.DataFrame.fillna

    def fillna(self, value=None, *args, method=None, **kwargs):
        return self.ffill() if method == "ffill" else original(self, value, *args, **kwargs)

    if int(pd.__version__.split(".")[0]) >= 3:
        monkeypatch.setattr(pd.DataFrame, "fillna", fillna)
    if int(np.__version__.split(".")[0]) >= 2:
        numpy_for_psds_eval = types.SimpleNamespace(**{name: getattr(np, name) for name in dir(np)
                                                       if not name.startswith("__")})
        numpy_for_psds_eval.argwhere = lambda condition: np.argwhere(condition).squeeze()
        monkeypatch.setattr(psds_module, "np", numpy_for_psds_eval)


def test_psds_equals_psds_eval_at_dense_thresholds(monkeypatch):
    """sed_scores_eval's exact PSDS agrees with psds_eval evaluated at many operating points."""
    import pandas as pd
    from psds_eval import PSDSEval

    psds_eval_on_current_libraries(monkeypatch)

    from heareval.dcase_metrics import audio_id, merge_overlapping, score_dataframes

    rng = np.random.default_rng(3)
    files = [f"clip{i}.wav" for i in range(4)]
    targets = random_events(rng, files, 6, duration=18.0)
    predictions = frame_predictions(rng, targets)
    ours = primary_value(available_scores["psds1"](label_to_idx=LABEL_TO_IDX)(predictions, targets))

    ground_truth = pd.DataFrame([(audio_id(f), *event) for f, events in targets.items()
                                 for event in merge_overlapping([(e["start"] / 1000, e["end"] / 1000, e["label"])
                                                                 for e in events])],
                                columns=["filename", "onset", "offset", "event_label"])
    metadata = pd.DataFrame([(audio_id(f), 20.0) for f in files], columns=["filename", "duration"])
    psds = PSDSEval(dtc_threshold=0.7, gtc_threshold=0.7, cttc_threshold=0.3,  # unused: alpha_ct 0
                    ground_truth=ground_truth,
                    metadata=metadata)
    frames = score_dataframes(predictions, LABELS)
    for threshold in np.linspace(0.01, 0.99, 50):
        rows = []
        for key, frame in frames.items():
            for label in LABELS:
                active = frame[label].to_numpy() > threshold
                edges = np.diff(np.concatenate([[0], active.astype(int), [0]]))
                for start, stop in zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]):
                    rows.append((key, frame["onset"].iloc[start], frame["offset"].iloc[stop - 1], label))
        detections = pd.DataFrame(rows, columns=["filename", "onset", "offset", "event_label"])
        psds.add_operating_point(detections)
    reference = psds.psds(alpha_ct=0.0, alpha_st=1.0, max_efpr=100).value
    assert 0.0 < ours <= 1.0
    assert ours == pytest.approx(reference, abs=0.03)


def test_dcase_f1_scores_are_named_and_bounded():
    rng = np.random.default_rng(4)
    targets = random_events(rng, ["a.wav", "b.wav"], 6, duration=18.0)
    predictions = frame_predictions(rng, targets)
    for name in ("psds2", "intersection_f1", "collar_f1"):
        value = available_scores[name](label_to_idx=LABEL_TO_IDX)(predictions, targets)
        assert 0.0 <= primary_value(value) <= 1.0


def thresholded_events(predictions, threshold=0.5):
    """Runs of frames above the threshold, with the frame edges sed_scores_eval uses (ms)."""
    from heareval.dcase_metrics import audio_id, score_dataframes

    frames = score_dataframes(predictions, LABELS)
    events = {}
    for f in predictions:
        frame = frames[audio_id(f)]
        events[f] = []
        for label in LABELS:
            edges = np.diff(np.concatenate([[0], (frame[label].to_numpy() > threshold).astype(int), [0]]))
            for start, stop in zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]):
                events[f].append({"label": label, "start": frame["onset"].iloc[start] * 1000,
                                  "end": frame["offset"].iloc[stop - 1] * 1000})
    return events


@pytest.mark.parametrize("seed", range(4))
def test_collar_f1_equals_sed_eval_on_the_thresholded_events(seed):
    import sed_eval
    from dcase_util.containers import MetaDataContainer

    from heareval.dcase_metrics import merge_overlapping

    rng = np.random.default_rng(seed)
    targets = random_events(rng, [f"clip{i}.wav" for i in range(3)], 6, duration=18.0)
    targets = {f: [{"label": label, "start": a * 1000, "end": b * 1000} for a, b, label in
                   merge_overlapping([(e["start"] / 1000, e["end"] / 1000, e["label"]) for e in events])]
               for f, events in targets.items()}
    predictions = frame_predictions(rng, targets)
    ours = primary_value(available_scores["collar_f1"](label_to_idx=LABEL_TO_IDX)(predictions, targets))

    def container(events):
        return MetaDataContainer([{"event_label": e["label"], "event_onset": e["start"] / 1000,
                                   "event_offset": e["end"] / 1000, "file": f} for f, x in events.items() for e in x])

    reference, estimated = container(targets), container(thresholded_events(predictions))
    metrics = sed_eval.sound_event.EventBasedMetrics(event_label_list=LABELS, t_collar=0.2, percentage_of_length=0.2)
    for f in targets:
        metrics.evaluate(reference.filter(filename=f), estimated.filter(filename=f))
    assert_close(ours, metrics.results_class_wise_average_metrics()["f_measure"]["f_measure"])


def test_frame_scores_skip_classes_without_reference_events():
    rng = np.random.default_rng(5)
    targets = {f: [e for e in events if e["label"] != "c"]
               for f, events in random_events(rng, ["a.wav", "b.wav"], 8, duration=18.0).items()}
    predictions = frame_predictions(rng, targets)
    for name in ("psds1", "psds2", "intersection_f1", "collar_f1"):
        value = primary_value(available_scores[name](label_to_idx=LABEL_TO_IDX)(predictions, targets))
        assert 0.0 <= value <= 1.0, name


@pytest.mark.parametrize("seed", range(3))
def test_intersection_f1_equals_psds_eval_macro_f_score(seed):
    import pandas as pd
    from psds_eval import PSDSEval

    from heareval.dcase_metrics import audio_id, merge_overlapping

    rng = np.random.default_rng(seed)
    files = [f"clip{i}.wav" for i in range(3)]
    targets = random_events(rng, files, 6, duration=18.0)
    targets = {f: [{"label": label, "start": a * 1000, "end": b * 1000} for a, b, label in
                   merge_overlapping([(e["start"] / 1000, e["end"] / 1000, e["label"]) for e in events])]
               for f, events in targets.items()}
    predictions = frame_predictions(rng, targets)
    for frame in predictions.values():  # noise: false alarms and misses
        noisy = np.asarray(frame["probabilities"]) + rng.normal(0, 0.2, np.shape(frame["probabilities"]))
        frame["probabilities"] = np.clip(noisy, 0, 1).tolist()
    ours = primary_value(available_scores["intersection_f1"](label_to_idx=LABEL_TO_IDX)(predictions, targets))

    def table(events):
        return pd.DataFrame([(audio_id(f), e["start"] / 1000, e["end"] / 1000, e["label"])
                             for f, x in events.items() for e in x],
                            columns=["filename", "onset", "offset", "event_label"])

    psds = PSDSEval(dtc_threshold=0.5, gtc_threshold=0.5, cttc_threshold=0.3, ground_truth=table(targets),
                    metadata=pd.DataFrame([(audio_id(f), 20.0) for f in files], columns=["filename", "duration"]))
    _, per_class = psds.compute_macro_f_score(table(thresholded_events(predictions)))
    present = {e["label"] for events in targets.values() for e in events}
    assert_close(ours, float(np.mean([v for k, v in per_class.items() if k in present])))
