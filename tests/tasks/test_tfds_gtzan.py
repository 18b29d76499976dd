"""GTZAN Genre: the excerpts named as TensorFlow Datasets exported them, labelled by genre, folded by the
original's rule; the original's small mode (its export); bad input."""

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from heareval.tasks.download import md5_of
from heareval.tasks.runner import preprocess
from heareval.tasks.small import write_tar_gz
from heareval.tasks.small.tfds_gtzan import archive
from heareval.tasks.tfds_export import exported_names
from tests.conftest import task_dir_of
from tests.tasks.conftest import (
    assert_one_error_line,
    folds_by_the_original_rule,
    labels_by_fold,
    run_tasks_runner,
    vocabulary_of,
    zip_mirror,
)

FOLDS = [f"fold{i:02d}" for i in range(10)]


def test_small_stand_in_is_named_labelled_and_folded_as_the_original(small_tasks):
    file_names = [Path(name).name for name, _ in archive()]
    names = exported_names("gtzan", "train", file_names, shards=1)  # 60 excerpts of 3 s: far below 64 MiB
    expected_fold = folds_by_the_original_rule(names.values(), 10)
    task_dir = task_dir_of(small_tasks, "tfds_gtzan")
    seen = labels_by_fold(task_dir, FOLDS, lambda name: expected_fold[Path(name).stem])
    assert seen == {f"{names[name]}.wav": [name.split(".")[0]] for name in file_names}
    assert len(vocabulary_of(task_dir)) == 10


def test_the_original_small_mode_reads_its_export(tmp_path):
    """The original's small archive is TFDS's export: audio/tfds_id_*.wav and train_labels.csv."""
    names = [f"tfds_id_gtzan-train-tfrecord-00000-of-00001-{i}.wav" for i in range(20)]
    genres = ["blues", "rock"] * 10
    rng = np.random.default_rng(0)

    def members():
        yield "train_labels.csv", ("filename,label\n" + "".join(f"{n},{g}\n" for n, g in zip(names, genres))).encode()
        for name in names:
            buffer = io.BytesIO()
            sf.write(buffer, rng.uniform(-0.5, 0.5, 22050).astype(np.float32), 22050, format="WAV", subtype="PCM_16")
            yield f"audio/{name}", buffer.getvalue()

    mirror = zip_mirror(tmp_path, "gtzan-small.zip", members())
    preprocess(["tfds_gtzan"], [16000], mode="small", mirror=str(mirror), work_dir=str(tmp_path / "w"),
               tasks_dir=str(tmp_path / "t"), num_workers=2)
    expected_fold = folds_by_the_original_rule([Path(n).stem for n in names], 10)
    seen = labels_by_fold(task_dir_of(tmp_path / "t", "tfds_gtzan"), FOLDS, lambda n: expected_fold[Path(n).stem])
    assert seen == {name: [genre] for name, genre in zip(names, genres)}


def tar_mirror(tmp_path: Path, members) -> Path:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    write_tar_gz(mirror / "genres.tar.gz", members)
    (mirror / "MD5SUMS").write_text(f"{md5_of(mirror / 'genres.tar.gz')}  genres.tar.gz\n")
    return mirror


def float_wav() -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(100, np.float32), 22050, format="WAV", subtype="FLOAT")
    return buffer.getvalue()


@pytest.mark.parametrize("change, pattern", [
    (lambda name, data: (name.replace("blues/blues.00001", "blues/samba.00001"), data),
     r"tfds_gtzan: .*samba\.00001\.wav: 'samba' .* is none of the genres"),
    (lambda name, data: (name, float_wav() if name.endswith("rock.00002.wav") else data),
     r"rock\.00002\.wav: expected a 16-bit or 8-bit PCM WAV"),
    (lambda name, data: (name.replace("genres/", "genre/"), data), r"tfds_gtzan: missing .*genres"),
])
def test_a_bad_corpus_is_one_clear_line(tmp_path, change, pattern):
    mirror = tar_mirror(tmp_path, (change(name, data) for name, data in archive()))
    assert_one_error_line(run_tasks_runner("tfds_gtzan", mirror, tmp_path), pattern, tmp_path)
