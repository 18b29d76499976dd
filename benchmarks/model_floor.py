"""What a HEAR module alone costs on a tasks folder: no reading, no writing, the lower bound of any runner.

    python benchmarks/model_floor.py MODULE --tasks-dir TASKS

Imports the module and loads its model (timed, as every runner pays it), then calls it on random audio
of each task's shape: as many sounds as the task has, in the batch sizes and with the concurrency the
embeddings runner would use. Prints the seconds of each part. Run it under measure.py's run_measured
to get the whole process's wall time, start-up included.
"""

import argparse
import time
from pathlib import Path

import torch

from heareval.embeddings.hear_api import default_model_threads, embed, in_order, load_hear_model
from heareval.embeddings.runner import find_tasks
from heareval.embeddings.task_embeddings import default_batch_size
from heareval.taskformat import load_task_metadata, read_json


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("module")
    parser.add_argument("--tasks-dir", default="tasks")
    args = parser.parse_args()
    start = time.perf_counter()
    hear = load_hear_model(args.module)
    print(f"import and load_model: {time.perf_counter() - start:.2f} s")
    for task_dir in find_tasks(Path(args.tasks_dir)):
        metadata = load_task_metadata(task_dir)
        sounds = sum(len(read_json(task_dir / f"{split}.json")) for split in metadata.splits)
        samples = int(round(metadata.sample_duration * hear.sample_rate))
        batch_size = default_batch_size(metadata.sample_duration)
        threads = default_model_threads(hear, "cpu", [metadata.embedding_type])
        audio = torch.rand(batch_size, samples) * 1.8 - 0.9
        sizes = [min(batch_size, sounds - i) for i in range(0, sounds, batch_size)]
        began = time.perf_counter()
        for _ in in_order(lambda n: embed(hear, audio[:n], metadata.embedding_type)[0].numpy().sum(), sizes,
                          threads):
            pass
        print(f"{task_dir.name}: {sounds} sounds of {metadata.sample_duration} s, batches of {batch_size}, "
              f"{threads} at once: {time.perf_counter() - began:.2f} s")


if __name__ == "__main__":
    main()
