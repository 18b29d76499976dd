"""benchmarks/gpu_check.py refuses to start, naming what is missing, before running anything."""

import importlib.util
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"


def gpu_check_module():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_distribution_neither_installed_nor_in_the_wheels_is_named(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "setup.py").write_text("from setuptools import setup\nsetup(name='needs-more', version='1', "
                                      "install_requires=['heareval-absent-dependency>=1', 'numpy'])\n")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    assert gpu_check_module().missing_wheels(project, wheels) == ["heareval-absent-dependency>=1"]


def test_nothing_is_missing_where_everything_is_installed(tmp_path):
    module = gpu_check_module()
    assert module.missing_wheels(module.REPO, tmp_path) == []


def test_setuptools_is_named_where_this_python_has_none_and_the_wheels_neither(tmp_path, monkeypatch):
    """The venvs of Python 3.12+ come without setuptools, which builds heareval."""
    module = gpu_check_module()
    monkeypatch.setattr(module, "setuptools_installed", lambda: False)
    assert module.missing_wheels(module.REPO, tmp_path) == ["setuptools (it builds heareval and this Python has none)"]
    assert module.build_options() == []  # pip then builds in isolation, with the wheel from the folder


def test_a_missing_wheels_folder_is_refused_before_any_work(tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPT), "--wheels", str(tmp_path / "absent"), "--out",
                             str(tmp_path / "out")], capture_output=True, text=True)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert f"wheels folder not found: {tmp_path / 'absent'}" in result.stderr
    assert not (tmp_path / "out").exists()
