"""Python's cycle collector paused while a phase builds many long-lived objects and no garbage."""

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector off for the block, then everything the block built frozen (left out of later
    collections; reference counting still frees it). Importing a module such as hearbaseline or Lightning
    builds hundreds of thousands of long-lived objects and no garbage, yet sets off full collections over
    all of them (0.4 s of hearbaseline's 1.8 s import, measured); frozen, they no longer slow the
    collections that come later (each of the predictions stage's per-grid-point collections took 0.2 s)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
