"""Write the MIDI files of this folder and, with note_seq (the original's library), the notes it keeps.

    python make_reference.py                # any Python with pretty_midi: writes case<N>.midi
    <venv with note-seq 0.0.5>/bin/python make_reference.py --reference   # writes note_seq_notes.json

Random piano notes (some starting together, some repeated at one pitch, pitches outside 21..108) with
the sustain pedal going down and up (sometimes at a note's very start or end), and a second instrument.
"""

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).parent


def write_midi(seed: int) -> Path:
    import pretty_midi

    rng = random.Random(seed)
    midi = pretty_midi.PrettyMIDI(initial_tempo=rng.choice([90.0, 120.0]))
    for program in (0, 40)[: 1 + seed % 2]:
        instrument = pretty_midi.Instrument(program=program)
        grid = [round(i * 0.125, 3) for i in range(80)]
        for _ in range(60):
            start = rng.choice(grid)
            end = start + rng.choice([0.125, 0.25, 0.5, 1.0])
            pitch = rng.choice([19, 21, 60, 60, 62, 64, 64, 67, 108, 110])
            instrument.notes.append(pretty_midi.Note(velocity=rng.randint(20, 120), pitch=pitch, start=start, end=end))
        for time in sorted(rng.sample(grid, 12)):
            value = rng.choice([0, 30, 63, 64, 100, 127])
            instrument.control_changes.append(pretty_midi.ControlChange(64, value, time))
        instrument.control_changes.append(pretty_midi.ControlChange(7, 100, 0.0))  # not the pedal
        midi.instruments.append(instrument)
    path = HERE / f"case{seed}.midi"
    midi.write(str(path))
    return path


def reference() -> None:
    from note_seq import midi_io, sequences_lib

    found = {}
    for path in sorted(HERE.glob("case*.midi")):
        sequence = sequences_lib.apply_sustain_control_changes(midi_io.midi_file_to_note_sequence(str(path)))
        found[path.name] = [[note.start_time * 1000.0, note.end_time * 1000.0, note.pitch, note.instrument]
                            for note in sequence.notes]
    (HERE / "note_seq_notes.json").write_text(json.dumps(found, indent=0) + "\n")


if __name__ == "__main__":
    if "--reference" in sys.argv:
        reference()
    else:
        for seed in range(4):
            write_midi(seed)
