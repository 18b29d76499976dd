"""The `heareval` console command: each stage runner under one name."""

import shutil
import subprocess
import sys

import pytest

from heareval.cli import COMMANDS


def heareval(*args, cwd=None):
    command = shutil.which("heareval")
    assert command, "the console script is installed by `pip install .` (install.sh)"
    return subprocess.run([command, *args], capture_output=True, text=True, cwd=cwd)


def test_help_lists_every_stage_without_importing_lightning():
    result = heareval("--help")
    assert result.returncode == 0
    for name in ("tasks", "embeddings", "predictions", "evaluation", "run", "validate"):
        assert f"  {name} " in result.stdout
    probe = subprocess.run([sys.executable, "-c", "import sys; from click.testing import CliRunner; "
                            "from heareval.cli import main; CliRunner().invoke(main, ['--help']); "
                            "print('lightning' in sys.modules)"], capture_output=True, text=True)
    assert probe.stdout.strip() == "False"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_is_its_stage_runner(name):
    result = heareval(name, "--help")
    assert result.returncode == 0, result.stderr
    module_help = subprocess.run([sys.executable, "-m", COMMANDS[name][0], "--help"], capture_output=True, text=True)
    assert result.stdout.split("\n", 1)[1] == module_help.stdout.split("\n", 1)[1], "same options as python -m"


def test_user_errors_are_one_line(tmp_path):
    result = heareval("tasks", "no_such_task", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: unknown task 'no_such_task'")
    assert heareval("no_such_stage").returncode == 2
