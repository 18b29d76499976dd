"""Concurrent model calls: used only for modules whose concurrent calls agree with sequential ones."""

import gc

import torch

from heareval.embeddings.hear_api import concurrent_calls_agree, default_model_threads, load_hear_model
from tests.embeddings.conftest import write_module
from tests.embeddings.test_runner import GOOD_MODULE

STATEFUL_MODULE = GOOD_MODULE + """
CALLS = [0]
_get_scene_embeddings = get_scene_embeddings

def get_scene_embeddings(audio, model):  # each call's output depends on how many calls came before
    CALLS[0] += 1
    return _get_scene_embeddings(audio, model) + CALLS[0]
"""


def test_a_stateless_module_runs_two_batches_at_once_on_a_cpu(module_dir, monkeypatch):
    hear = load_hear_model(write_module(module_dir, "stateless_hear", GOOD_MODULE.format(rate=16000)))
    assert concurrent_calls_agree(hear, "cpu", ["scene", "event"])
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert default_model_threads(hear, "cpu", ["scene", "event"]) == 2
    assert default_model_threads(hear, "cuda", ["scene"]) == 1, "one call at a time on a GPU"
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert default_model_threads(hear, "cpu", ["scene"]) == 1


def test_a_module_that_keeps_state_between_calls_runs_one_batch_at_a_time(module_dir, monkeypatch):
    hear = load_hear_model(write_module(module_dir, "stateful_hear", STATEFUL_MODULE.format(rate=16000)))
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert not concurrent_calls_agree(hear, "cpu", ["scene"])
    assert default_model_threads(hear, "cpu", ["scene"]) == 1
    assert concurrent_calls_agree(hear, "cpu", ["event"]), "its timestamp embeddings keep no state"


def test_the_check_leaves_the_thread_count_as_it_was(module_dir):
    hear = load_hear_model(write_module(module_dir, "threads_hear", GOOD_MODULE.format(rate=16000)))
    before = torch.get_num_threads()
    concurrent_calls_agree(hear, "cpu", ["scene"])
    assert torch.get_num_threads() == before


def test_loading_pauses_the_cycle_collector_and_freezes_what_the_module_built(module_dir):
    source = GOOD_MODULE.format(rate=16000) + (
        "\nimport gc\nCOLLECTOR_ON_AT_IMPORT = gc.isenabled()\nBUILT = [[] for _ in range(1000)]\n")
    gc.unfreeze()
    try:
        hear = load_hear_model(write_module(module_dir, "collector_hear", source))
        assert hear.module.COLLECTOR_ON_AT_IMPORT is False
        assert gc.isenabled(), "switched back on after loading"
        assert gc.get_freeze_count() >= len(hear.module.BUILT), "the module's objects are left out of collections"
    finally:
        gc.unfreeze()


def test_cuda_asked_of_a_machine_without_it_is_one_clear_error(monkeypatch):
    import pytest

    from heareval.embeddings.hear_api import embedding_device
    from heareval.errors import UserError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UserError, match="--device cuda:1: CUDA is not available"):
        embedding_device("cuda:1")
    assert embedding_device("") == "cpu" and embedding_device("cpu") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert embedding_device(None) == "cuda"
