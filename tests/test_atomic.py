"""Outputs appear whole or not at all: written under a hidden temporary name, renamed when complete."""

import json
import os
import subprocess
import sys

import pytest

from heareval.atomic import HOST, atomic_path, check_writable, remove_stale_temporaries, write_json
from heareval.errors import UserError


def test_an_output_appears_only_when_its_block_succeeds(tmp_path):
    final = tmp_path / "out" / "task"
    with pytest.raises(RuntimeError):
        with atomic_path(final) as temporary:
            temporary.mkdir()
            (temporary / "half.json").write_text("{")
            raise RuntimeError("interrupted")
    assert not final.exists() and list(final.parent.iterdir()) == [], "nothing half-written is left"
    with atomic_path(final) as temporary:
        assert temporary.parent == final.parent and temporary.name.startswith(".task.tmp-")
        temporary.mkdir()
        (temporary / "whole.json").write_text("{}")
    assert [p.name for p in final.iterdir()] == ["whole.json"]


def test_a_finished_output_is_kept_unless_replaced(tmp_path):
    final = tmp_path / "result.json"
    write_json(final, {"first": 1})
    with atomic_path(final) as temporary:
        temporary.write_text('{"second": 2}')
    assert json.loads(final.read_text()) == {"first": 1}, "another worker finished first: theirs is kept"
    write_json(final, {"third": 3})
    assert json.loads(final.read_text()) == {"third": 3}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.json"]


def test_only_the_leftovers_of_dead_writers_on_this_host_are_removed(tmp_path):
    final = tmp_path / "task"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftovers = {
        "dead": tmp_path / f".task.tmp-{HOST}-{dead.stdout.strip()}-0000aaaa",
        "alive": tmp_path / f".task.tmp-{HOST}-{os.getpid()}-0000bbbb",
        "other host": tmp_path / f".task.tmp-elsewhere-{dead.stdout.strip()}-0000cccc",
        "other output": tmp_path / f".other.tmp-{HOST}-{dead.stdout.strip()}-0000dddd",
    }
    for path in leftovers.values():
        path.mkdir()
    remove_stale_temporaries(final)
    assert {name for name, path in leftovers.items() if path.exists()} == {"alive", "other host", "other output"}


def test_an_unwritable_output_folder_is_one_clear_error(tmp_path, monkeypatch):
    check_writable(tmp_path / "new" / "folder")
    assert (tmp_path / "new" / "folder").is_dir()
    (tmp_path / "file").write_text("")
    with pytest.raises(UserError, match="cannot create .*file/sub"):
        check_writable(tmp_path / "file" / "sub")
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as for a user without write permission
    with pytest.raises(UserError, match="folder is not writable: .*locked"):
        check_writable(tmp_path / "locked")
