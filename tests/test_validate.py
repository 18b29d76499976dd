"""heareval.validate against the official validator's verdicts on modules that are loose with the HEAR API,
and loose modules through the embeddings runner."""

import json
import logging
import subprocess
import sys

import numpy as np
import pytest

from heareval.embeddings.hear_api import load_hear_model, validate_model
from heareval.embeddings.runner import run_embeddings
from heareval.errors import UserError
from tests.embeddings.conftest import write_module
from tests.embeddings.loose_modules import DELIBERATE_REFUSALS, LOOSE_MODULES, MORE_LENIENT


def heareval_verdict(module_dir, name):
    """('accepts' or 'refuses', the report lines)."""
    try:
        hear = load_hear_model(write_module(module_dir, name, LOOSE_MODULES[name][0]))
    except UserError as error:
        return "refuses", [str(error)]
    report = validate_model(hear, "cpu")
    return ("refuses" if any(line.startswith("FAIL") for line in report) else "accepts"), report


@pytest.mark.parametrize("name", sorted(LOOSE_MODULES))
def test_verdicts_equal_the_official_validators_but_where_documented(module_dir, name):
    official = LOOSE_MODULES[name][1]
    expected = ("refuses" if name in DELIBERATE_REFUSALS else "accepts" if name in MORE_LENIENT else official)
    verdict, report = heareval_verdict(module_dir, name)
    assert verdict == expected, report
    loose = official == "accepts" and name != "well_formed"
    if verdict == "accepts":
        assert any(line.startswith("warn") for line in report) == loose, "a loose module gets a warning"


def test_the_documented_differences_are_real_differences():
    assert all(LOOSE_MODULES[name][1] == "accepts" for name in DELIBERATE_REFUSALS)
    assert all(LOOSE_MODULES[name][1] == "refuses" for name in MORE_LENIENT)


@pytest.mark.parametrize("name, warning", [
    ("int64_timestamps", "timestamps have dtype torch.int64, not torch.float32: stored as float milliseconds"),
    ("list_output", "returns a list, not a tuple"),
    ("float_sample_rate", "model.sample_rate is 16000.0 (float), not an int: used as 16000"),
    ("numpy_sample_rate", "model.sample_rate is 16000 (int64), not an int: used as 16000"),
    ("fails_on_short_audio", "fails on 1 x 0.5 s, which the official validator does not try (scene embedding "
                             "raised ValueError"),
    ("timestamps_in_seconds", "they must be in milliseconds"),
])
def test_each_looseness_is_named(module_dir, name, warning):
    verdict, report = heareval_verdict(module_dir, name)
    assert verdict == "accepts" and any(warning in line for line in report if line.startswith("warn")), report


def test_the_cli_accepts_a_loose_module_with_its_warning(module_dir, monkeypatch):
    write_module(module_dir, "int64_timestamps", LOOSE_MODULES["int64_timestamps"][0])
    monkeypatch.setenv("PYTHONPATH", str(module_dir))
    result = subprocess.run([sys.executable, "-m", "heareval.validate", "int64_timestamps", "--device", "cpu"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "accepted, as the official validator (hearvalidator 2021.0.6) accepts it, with 5 warning(s)" in \
        result.stdout
    result = subprocess.run([sys.executable, "-m", "heareval.validate", "constant_timestamps_x", "--device", "cpu"],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr


def test_integer_timestamps_are_embedded_as_float_milliseconds(module_dir, small_tasks, tmp_path, caplog):
    """As hearbaseline.torchcrepe returns them; the runner used to stop on the first event task."""
    name = write_module(module_dir, "int64_timestamps", LOOSE_MODULES["int64_timestamps"][0])
    with caplog.at_level(logging.WARNING):
        outputs = run_embeddings(name, tasks_dir=str(small_tasks), task="dcase2016_task2",
                                 embeddings_dir=str(tmp_path / "emb"), num_workers=0)
    assert "loose with the HEAR API" in caplog.text and "torch.int64" in caplog.text
    stamps = json.loads((outputs[0] / "test.filename-timestamps.json").read_text())
    times = np.array([t for _, t in stamps])
    assert all(isinstance(t, float) for t in times[:5]) and (times == np.round(times)).all()
    rows, _ = json.loads((outputs[0] / "test.embedding-dimensions.json").read_text())
    assert rows == len(stamps) > 0


def test_a_float_sample_rate_embeds_at_that_rate(module_dir, small_tasks, tmp_path):
    name = write_module(module_dir, "float_sample_rate", LOOSE_MODULES["float_sample_rate"][0])
    outputs = run_embeddings(name, tasks_dir=str(small_tasks), task="speech_commands",
                             embeddings_dir=str(tmp_path / "emb"), num_workers=0)
    assert json.loads((outputs[0] / "cost.embeddings.json").read_text())["source_sample_rate"] == 16000
