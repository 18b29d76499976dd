"""Small stand-in for maestro-v3.0.0.zip: maestro-v3.0.0/maestro-v3.0.0.csv and eight performances
(<year>/<name>.midi and .wav, 22.05 kHz stereo, 6 s), in train, validation and test as the real table
has them. Each performance plays notes of six pitches on a quarter-second grid with the sustain pedal going
down and up; its audio sounds the notes as the pedal holds them (note_seq's rule), each pitch a decaying
harmonic tone."""

import io
from pathlib import Path
from typing import Iterator, List, Tuple

import numpy as np

from heareval.tasks.maestro import ROOT, TABLE, Note, PedalChange, sustained_notes
from heareval.tasks.small import rng_for, wav_bytes, write_zip

RATE = 22050
SECONDS = 6.0
PITCHES = [48, 52, 55, 60, 64, 67]
PERFORMANCES = [("train", 2004)] * 4 + [("validation", 2006)] * 2 + [("test", 2008)] * 2


def performance(index: int) -> Tuple[List[Note], List[PedalChange]]:
    rng = rng_for("maestro", index)
    notes = []
    for step in range(int((SECONDS - 1.0) / 0.25)):
        if rng.random() < 0.55:
            start = step * 0.25
            notes.append(Note(0, 0, False, int(rng.choice(PITCHES)), int(rng.integers(50, 110)), start,
                              start + float(rng.choice([0.25, 0.5, 0.75]))))
    pedal = [PedalChange(0, 1.0 + index % 3 * 0.25, 100), PedalChange(0, 2.5, 0), PedalChange(0, 3.5, 127),
             PedalChange(0, 4.25, 20)]
    return notes, pedal


def midi_bytes(notes: List[Note], pedal: List[PedalChange]) -> bytes:
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    piano = pretty_midi.Instrument(program=0)
    piano.notes = [pretty_midi.Note(velocity=n.velocity, pitch=n.pitch, start=n.start_time, end=n.end_time)
                   for n in notes]
    piano.control_changes = [pretty_midi.ControlChange(64, change.value, change.time) for change in pedal]
    midi.instruments.append(piano)
    buffer = io.BytesIO()
    midi.write(buffer)
    return buffer.getvalue()


def rendered(notes: List[Note], rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(SECONDS * RATE)) / RATE
    out = np.zeros_like(t)
    for note in notes:
        start, end = int(note.start_time * RATE), min(len(t), int(note.end_time * RATE))
        local = t[: end - start]
        f0 = 440.0 * 2 ** ((note.pitch - 69) / 12)
        tone = sum(np.sin(2 * np.pi * f0 * k * local) * 0.5 ** k for k in range(1, 5))
        release = np.minimum(1.0, (end - start - np.arange(end - start)) / (0.02 * RATE))
        out[start:end] += tone * np.exp(-local * 2.5) * release * note.velocity / 127
    stereo = np.stack([out, out * 0.8], axis=1)
    return stereo + 0.002 * rng.standard_normal(stereo.shape)


def archive() -> Iterator[Tuple[str, bytes]]:
    rows = ["canonical_composer,canonical_title,split,year,midi_filename,audio_filename,duration"]
    members = []
    for index, (split, year) in enumerate(PERFORMANCES):
        notes, pedal = performance(index)
        name = f"{year}/MIDI-Unprocessed_stand-in_{index:02d}"
        duration = max(note.end_time for note in notes)
        rows.append(f'Composer {index % 3},"Piece {index}, op. {index + 1}",{split},{year},{name}.midi,{name}.wav,'
                    f"{duration!r}")
        members.append((f"{ROOT}/{name}.midi", midi_bytes(notes, pedal)))
        members.append((f"{ROOT}/{name}.wav", wav_bytes(rendered(sustained_notes(notes, pedal),
                                                                 rng_for("maestro noise", index)), RATE)))
    yield f"{ROOT}/{TABLE}", ("\n".join(rows) + "\n").encode()
    yield from members


def build(out_dir: Path) -> None:
    write_zip(out_dir / "maestro-v3.0.0.zip", archive())
