"""The score registry: every score's declaration, and what callers ask of it."""

import math

import numpy as np
import pytest

from heareval.errors import UserError
from heareval.score import EVENT, FRAME, REGISTRY, SCENE, available_scores, scalar_scores, score_entry, score_function
from tests.score.test_classification import LABEL_TO_IDX, random_scene


def test_every_score_says_whether_it_is_maximized():
    for name in available_scores:
        score = available_scores[name](label_to_idx=LABEL_TO_IDX)
        assert score.maximize == (name != "segment_1s_er") == REGISTRY[name].maximize


def test_unknown_score_names_the_valid_ones():
    with pytest.raises(UserError, match="valid scores: top1_acc"):
        score_function("accuracy", LABEL_TO_IDX)


def test_each_entry_builds_its_declared_kind_name_and_direction():
    kinds = {SCENE: {"top1_acc", "pitch_acc", "chroma_acc", "mAP", "d_prime", "aucroc"},
             EVENT: {"event_onset_200ms_fms", "event_onset_50ms_fms", "event_onset_offset_50ms_20perc_fms",
                     "segment_1s_er"},
             FRAME: {"psds1", "psds2", "intersection_f1", "collar_f1"}}
    assert {name for names in kinds.values() for name in names} == set(REGISTRY)
    for kind, names in kinds.items():
        for name in names:
            score = score_function(name, LABEL_TO_IDX)
            assert (score.kind, score.name, score.maximize) == (kind, name, score_entry(name).maximize)
            assert REGISTRY[name].kind == kind
    assert {name for name, entry in REGISTRY.items() if not entry.in_task_metadata} == kinds[FRAME]


@pytest.mark.parametrize("name, labels, expected", [
    ("top1_acc", 4, 0.25), ("pitch_acc", 88, 1 / 88), ("chroma_acc", 88, 1 / 12), ("chroma_acc", 5, 0.2),
    ("aucroc", 4, 0.5), ("d_prime", 4, 0.0), ("event_onset_200ms_fms", 4, 0.0), ("segment_1s_er", 4, 1.0),
    ("psds1", 4, 0.0), ("mAP", 4, 0.3),
])
def test_every_score_declares_its_chance_level(name, labels, expected):
    assert score_entry(name).chance.level(labels, positive_rate=lambda: 0.3) == pytest.approx(expected)


def test_a_score_applies_to_its_kind_of_task():
    assert score_entry("mAP").applies_to("scene") and not score_entry("mAP").applies_to("event")
    for name in ("segment_1s_er", "psds2"):
        assert score_entry(name).applies_to("event") and not score_entry(name).applies_to("scene")


def test_scalar_scores_name_an_event_scores_parts():
    value = (("f_measure", 0.5), ("precision", 0.25), ("recall", 1.0))
    assert scalar_scores("event_onset_200ms_fms", value) == {
        "event_onset_200ms_fms": 0.5, "event_onset_200ms_fms_precision": 0.25, "event_onset_200ms_fms_recall": 1.0}
    assert scalar_scores("e", value, primary_part_too=True) == {
        "e": 0.5, "e_f_measure": 0.5, "e_precision": 0.25, "e_recall": 1.0}
    predictions, targets = random_scene(np.random.default_rng(0))
    accuracy = available_scores["top1_acc"](label_to_idx=LABEL_TO_IDX)(predictions, targets)
    assert scalar_scores("top1_acc", accuracy) == {"top1_acc": accuracy} and not math.isnan(accuracy)
