"""Running stages with Luigi: a user mistake in any stage is one line, a bug keeps its traceback, and
nothing from an earlier run is reported again."""

from pathlib import Path

import luigi
import pytest

from heareval.errors import UserError
from heareval.luigi_run import Stage, collected_errors, run_luigi


class Writes(Stage):
    name = luigi.Parameter()
    fails_with = luigi.Parameter(default="")

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(Path(self.work_dir) / self.name))

    def run(self) -> None:
        if self.fails_with == "user":
            raise UserError(f"{self.name}: a corrupt file")
        if self.fails_with == "bug":
            raise KeyError("missing key")
        Path(self.output().path).write_text("done")


def test_user_errors_of_every_failed_stage_are_reported_once_each(tmp_path):
    work = str(tmp_path / "work")
    stages = [Writes(name="a", fails_with="user", work_dir=work), Writes(name="b", work_dir=work),
              Writes(name="c", fails_with="user", work_dir=work)]
    with pytest.raises(UserError) as error:
        run_luigi(stages, work, workers=1)
    assert str(error.value).splitlines() == ["a: a corrupt file", "c: a corrupt file"]
    assert (tmp_path / "work" / "b").read_text() == "done", "the other stages still ran"


def test_a_bug_keeps_its_traceback_and_errors_of_an_earlier_run_are_forgotten(tmp_path):
    work = str(tmp_path / "work")
    with pytest.raises(RuntimeError, match="(?s)a pipeline stage failed:\nTraceback .*KeyError: 'missing key'"):
        run_luigi([Writes(name="a", fails_with="bug", work_dir=work)], work, workers=1)
    assert [kind for kind, _ in collected_errors(work)] == ["bug"]
    run_luigi([Writes(name="a", work_dir=work)], work, workers=1)
    assert collected_errors(work) == [] and (tmp_path / "work" / "a").read_text() == "done"
