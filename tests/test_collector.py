"""collector_paused: the cycle collector off inside, back on after, and what was built frozen."""

import gc

import pytest

from heareval.collector import collector_paused


@pytest.fixture(autouse=True)
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.enable()


def test_off_inside_on_after_and_what_was_built_frozen():
    with collector_paused():
        assert not gc.isenabled()
        built = [[] for _ in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(built)


def test_a_collector_that_was_off_stays_off_and_errors_pass_through():
    gc.disable()
    with pytest.raises(ValueError):
        with collector_paused():
            raise ValueError("the block failed")
    assert not gc.isenabled()
