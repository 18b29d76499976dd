"""MAESTRO: the sustain pedal applied as note_seq applies it (against note_seq's own output), events of the
stand-in's performances, folds by the original's rule, bad corpora."""

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from heareval.tasks.maestro import ROOT, TABLE, read_midi, sustained_notes
from heareval.tasks.small.maestro import archive
from tests.conftest import task_dir_of
from tests.tasks.conftest import (
    assert_one_error_line,
    folds_by_the_original_rule,
    labels_by_fold,
    run_tasks_runner,
    vocabulary_of,
    zip_mirror,
)

DATA = Path(__file__).parent / "data" / "maestro"


@pytest.mark.parametrize("case", sorted(p.name for p in DATA.glob("case*.midi")))
def test_sustained_notes_are_note_seqs(case):
    """note_seq_notes.json holds note_seq 0.0.5's apply_sustain_control_changes of each case (make_reference.py)."""
    expected = json.loads((DATA / "note_seq_notes.json").read_text())[case]
    notes, pedal = read_midi(DATA / case)
    ours = [[note.start_time * 1000.0, note.end_time * 1000.0, note.pitch, note.instrument]
            for note in sustained_notes(notes, pedal)]
    assert ours == expected
    assert len(ours) < len(notes), "the case drops notes that a restrike under the pedal cut to no length"


def test_small_task_events_and_folds(small_tasks, tmp_path):
    task_dir = task_dir_of(small_tasks, "maestro")
    metadata = json.loads((task_dir / "task_metadata.json").read_text())
    assert metadata["splits"] == [f"fold{i:02d}" for i in range(4)], "the small mode's 4 folds"
    assert metadata["sample_duration"] == 5.0 and metadata["evaluation_params"]["event_postprocessing_grid"]
    members = dict(archive())
    rows = list(csv.DictReader(io.StringIO(members[f"{ROOT}/{TABLE}"].decode())))
    expected_fold = folds_by_the_original_rule([Path(row["audio_filename"]).stem for row in rows], 4)
    seen = labels_by_fold(task_dir, metadata["splits"], lambda name: expected_fold[Path(name).stem])
    assert len(seen) == len(rows)
    for row in rows:
        midi = tmp_path / "one.midi"
        midi.write_bytes(members[f"{ROOT}/{row['midi_filename']}"])
        expected = sorted((n.start_time * 1000.0, min(n.end_time * 1000.0, 5000.0), n.pitch)
                          for n in sustained_notes(*read_midi(midi)) if n.start_time < 5.0)
        got = sorted((e["start"], e["end"], e["label"]) for e in seen[Path(row["audio_filename"]).name])
        assert [label for _, _, label in got] == [label for _, _, label in expected]
        assert np.allclose([times for *times, _ in got], [times for *times, _ in expected], rtol=0, atol=1e-6)
    assert vocabulary_of(task_dir) == [str(p) for p in sorted({e["label"] for ev in seen.values() for e in ev})]


def changed(name_to_change, edit):
    def change(name, data):
        return (name, edit(data)) if name.endswith(name_to_change) else (name, data)
    return change


@pytest.mark.parametrize("change, pattern", [
    (lambda name, data: (None, data) if name.endswith(TABLE) else (name, data),
     r"maestro: missing .*maestro-v3.0.0.csv"),
    (lambda name, data: (None, data) if name.endswith("stand-in_03.wav") else (name, data),
     r"maestro: .*MIDI-Unprocessed_stand-in_03.wav, listed in .*maestro-v3.0.0.csv, is missing"),
    (changed(TABLE, lambda data: data.replace(b",train,2004,", b",training,2004,", 1)),
     r"maestro: .*: split 'training' of 2004/MIDI-Unprocessed_stand-in_00.wav is not one of train, validation, test"),
    (changed(TABLE, lambda data: b"\n".join(line.rsplit(b",", 1)[0] + b",9.5" if i else line
                                           for i, line in enumerate(data.strip().split(b"\n"))) + b"\n"),
     r"maestro: the MIDI files end .* s away from the durations in .*maestro-v3.0.0.csv on average"),
    (changed("stand-in_01.midi", lambda data: b"not midi"), r"maestro: cannot read MIDI file .*stand-in_01.midi"),
])
def test_a_bad_corpus_is_one_clear_line(tmp_path, change, pattern):
    members = [(name, data) for name, data in (change(name, data) for name, data in archive()) if name]
    mirror = zip_mirror(tmp_path, "maestro-v3.0.0.zip", iter(members))
    assert_one_error_line(run_tasks_runner("maestro", mirror, tmp_path), pattern, tmp_path)
