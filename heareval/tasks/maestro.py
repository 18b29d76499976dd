"""MAESTRO v3: piano transcription as event detection (onsets of the 88 pitches) on the first 120 s of each
performance, dealt by recording into 5 new folds.

Notes come from each performance's MIDI as the original read them: parsed by pretty_midi (as note_seq's
midi_file_to_note_sequence), the sustain pedal applied by note_seq's rule (`sustained_notes`), pitches
21..108 kept, times in ms.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import pandas as pd

from heareval.errors import UserError
from heareval.tasks.pipeline import ExtractMetadata

ROOT = "maestro-v3.0.0"
TABLE = "maestro-v3.0.0.csv"
SUSTAIN_CONTROL = 64
LOWEST_PITCH, HIGHEST_PITCH = 21, 108
MAX_MEAN_DURATION_GAP = 0.05  # s: the original's check that the MIDI files have the right tempo
SPLIT_NAMES = {"train": "train", "validation": "valid", "test": "test"}

CONFIG = {
    "task_name": "maestro",
    "version": "v3.0.0",
    "embedding_type": "event",
    "prediction_type": "multilabel",
    "split_mode": "new_split_kfold",
    "nfolds": 5,
    "sample_duration": 120.0,
    "evaluation": ["event_onset_50ms_fms", "event_onset_offset_50ms_20perc_fms"],
    "use_scoring_for_early_stopping": False,
    "evaluation_params": {
        "event_postprocessing_grid": {"median_filter_ms": [150], "min_duration": [50]},
        "task_specific_param_grid": {"max_epochs": [50], "check_val_every_n_epoch": [1]},
    },
    "download_urls": [
        {"split": "train_test_valid",
         "url": "https://storage.googleapis.com/magentadata/datasets/maestro/v3.0.0/maestro-v3.0.0.zip",
         "md5": "41941abdcd786c8066d532002e3b79b9"},
    ],
    "category": "music",
    "default_mode": "5h",
    "modes": {
        "5h": {"max_task_duration_by_fold": 4500.0},
        "small": {"download_urls": [{"split": "train_test_valid",
                                     "url": "https://github.com/kmarufraj/s-task/raw/main/maestro-v3.0.0-small.zip",
                                     "md5": "852a3e0436d0f9d12e6566f9c61ed094"}],
                  "sample_duration": 5.0, "nfolds": 4, "max_task_duration_by_fold": None},
    },
}


@dataclass
class Note:
    """A note as note_seq holds it; equal by value, as its protobuf messages are (which decides which of
    two identical notes its rule removes)."""

    instrument: int
    program: int
    is_drum: bool
    pitch: int
    velocity: int
    start_time: float
    end_time: float


@dataclass
class PedalChange:
    instrument: int
    time: float
    value: int


PEDAL_DOWN, PEDAL_UP, NOTE_START, NOTE_END = 0, 1, 2, 3  # events at one time are taken in this order


def read_midi(path: Path) -> Tuple[List[Note], List[PedalChange]]:
    """The notes (in pretty_midi's order, instrument by instrument) and the sustain pedal changes."""
    import pretty_midi

    try:
        midi = pretty_midi.PrettyMIDI(str(path))
    except Exception as error:  # pretty_midi and mido raise many kinds on a bad file
        raise UserError(f"maestro: cannot read MIDI file {path}: {error}") from None
    notes, pedal = [], []
    for index, instrument in enumerate(midi.instruments):
        notes += [Note(index, instrument.program, instrument.is_drum, note.pitch, note.velocity, note.start, note.end)
                  for note in instrument.notes]
        pedal += [PedalChange(index, change.time, change.value) for change in instrument.control_changes
                  if change.number == SUSTAIN_CONTROL]
    return notes, pedal


def sustained_notes(notes: List[Note], pedal: List[PedalChange]) -> List[Note]:
    """note_seq's apply_sustain_control_changes: while an instrument's pedal is down (value 64 or more), a
    released note sounds on until the pedal comes up or the same pitch is struck again (a note cut to no
    length by that is dropped); notes still sounding at the last event end there. Drum notes are untouched."""
    notes = [Note(**vars(note)) for note in notes]
    events = [(note.start_time, NOTE_START, note) for note in notes if not note.is_drum]
    events += [(note.end_time, NOTE_END, note) for note in notes if not note.is_drum]
    events += [(change.time, PEDAL_DOWN if change.value >= 64 else PEDAL_UP, change) for change in pedal]
    events.sort(key=lambda event: (event[0], event[1]))  # stable: ties keep the order above
    sounding: Dict[int, List[Note]] = {}
    pedal_down: Dict[int, bool] = {}
    time = 0.0
    for time, kind, item in events:
        playing = sounding.setdefault(item.instrument, [])
        if kind == PEDAL_DOWN:
            pedal_down[item.instrument] = True
        elif kind == PEDAL_UP:
            pedal_down[item.instrument] = False
            held = [note for note in playing if note.end_time < time]  # released, sounding by the pedal alone
            for note in held:
                note.end_time = time
            sounding[item.instrument] = [note for note in playing if not any(note is h for h in held)]
        elif kind == NOTE_START:
            if pedal_down.get(item.instrument, False):
                kept = []
                for note in playing:
                    if note.pitch != item.pitch:
                        kept.append(note)
                        continue
                    note.end_time = time
                    if note.start_time == note.end_time:
                        notes.remove(note)
                sounding[item.instrument] = kept
            sounding[item.instrument].append(item)
        elif not pedal_down.get(item.instrument, False) and item in playing:
            playing.remove(item)
    for playing in sounding.values():
        for note in playing:
            note.end_time = time
    return notes


class MaestroMetadata(ExtractMetadata):
    """One row per note of each performance listed in maestro-v3.0.0.csv (a performance whose audio is
    missing is skipped in mode small, refused otherwise, as the original); the split key is the recording."""

    def get_metadata(self) -> pd.DataFrame:
        root = self.extracted("train_test_valid") / ROOT
        table_path = root / TABLE
        if not table_path.is_file():
            raise UserError(f"maestro: missing {table_path}")
        table = pd.read_csv(table_path)
        for column in ("midi_filename", "audio_filename", "split", "duration"):
            if column not in table:
                raise UserError(f"maestro: {table_path} has no column {column!r}")
        frames, gaps = [], []
        for row in table.itertuples():
            audio_path = root / row.audio_filename
            if not audio_path.is_file():
                if self.config["mode"] == "small":
                    continue
                raise UserError(f"maestro: {audio_path}, listed in {table_path}, is missing")
            notes, pedal = read_midi(root / row.midi_filename)
            gaps.append(abs(float(row.duration) - max((note.end_time for note in notes), default=0.0)))
            rows = [(note.start_time * 1000.0, note.end_time * 1000.0, note.pitch)
                    for note in sustained_notes(notes, pedal) if LOWEST_PITCH <= note.pitch <= HIGHEST_PITCH]
            if row.split not in SPLIT_NAMES:
                raise UserError(f"maestro: {table_path}: split {row.split!r} of {row.audio_filename} is not one of "
                                f"{', '.join(SPLIT_NAMES)}")
            frames.append(pd.DataFrame(rows, columns=["start", "end", "label"]).assign(
                relpath=str(audio_path), split=SPLIT_NAMES[row.split]))
        if gaps and sum(gaps) / len(gaps) >= MAX_MEAN_DURATION_GAP:
            raise UserError(f"maestro: the MIDI files end {sum(gaps) / len(gaps):.3f} s away from the durations in "
                            f"{table_path} on average (at most {MAX_MEAN_DURATION_GAP} s): a wrong tempo?")
        if not frames:
            return pd.DataFrame(columns=["relpath", "split", "label", "start", "end"])
        return pd.concat(frames, ignore_index=True)[["relpath", "split", "label", "start", "end"]]


METADATA_TASK = MaestroMetadata
