"""The cost report: plausible times and memory, and energy whenever codecarbon is importable."""

import sys
import types

from heareval.cost import measure_cost


def busy_work() -> int:
    total = 0
    for i in range(300_000):
        total += i * i
    return total


def test_cost_report_is_plausible_without_codecarbon(monkeypatch):
    monkeypatch.setitem(sys.modules, "codecarbon", None)  # as if not installed
    with measure_cost("stage") as cost:
        buffer = bytearray(64 * 2 ** 20)
        busy_work()
    assert cost["wall_seconds"] > 0 and cost["cpu_seconds"] > 0
    assert cost["peak_memory_mb"] >= 64 and len(buffer) > 0
    assert cost["energy_kwh"] is None and cost["peak_gpu_memory_mb"] is None


def test_energy_comes_from_codecarbon_when_installed(monkeypatch):
    events = []

    class FakeTracker:
        def __init__(self, **options):
            events.append(("init", options["country_iso_code"]))

        def start(self):
            events.append("start")

        def stop(self):
            events.append("stop")
            self.final_emissions_data = types.SimpleNamespace(energy_consumed=0.0025)

    monkeypatch.setitem(sys.modules, "codecarbon", types.SimpleNamespace(OfflineEmissionsTracker=FakeTracker))
    with measure_cost("stage") as cost:
        busy_work()
    assert cost["energy_kwh"] == 0.0025
    assert events == [("init", "USA"), "start", "stop"]


def test_a_failing_tracker_never_fails_the_stage(monkeypatch):
    class BrokenTracker:
        def __init__(self, **options):
            raise RuntimeError("no power sensors")

    monkeypatch.setitem(sys.modules, "codecarbon", types.SimpleNamespace(OfflineEmissionsTracker=BrokenTracker))
    with measure_cost("stage") as cost:
        busy_work()
    assert cost["energy_kwh"] is None and cost["wall_seconds"] > 0
