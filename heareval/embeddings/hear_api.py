"""Import a HEAR-API module, load its model, and check the API contract before a long run."""

import importlib
import json
import logging
import numbers
import os
import traceback
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Deque, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, TypeVar

import torch

from heareval.collector import collector_paused
from heareval.errors import UserError

logger = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
REQUIRED_FUNCTIONS = ("load_model", "get_scene_embeddings", "get_timestamp_embeddings")
REQUIRED_ATTRIBUTES = ("sample_rate", "scene_embedding_size", "timestamp_embedding_size")


@dataclass
class HearModel:
    """A loaded HEAR-API module with its model."""

    module_name: str
    module: ModuleType
    model: Any
    options: Dict[str, Any] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)  # where the module is loose with the API, accepted

    @property
    def sample_rate(self) -> int:
        return int(self.model.sample_rate)

    def notes_as_report(self) -> List[str]:
        return [f"warn module: {note}" for note in self.notes]


def embedding_device(device: Optional[str]) -> str:
    """The device asked for, or cuda where there is one; one clear error for CUDA asked of a torch build or
    machine without it."""
    if not device:
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        build = "this torch build has no CUDA" if torch.version.cuda is None else "no CUDA GPU is visible"
        raise UserError(f"--device {device}: CUDA is not available ({build}, torch {torch.__version__})")
    return device


def import_module(module_name: str) -> ModuleType:
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise UserError(f"cannot import HEAR module {module_name!r}: {error}") from None
    except Exception as error:  # the module's own code failed at import
        raise UserError(f"importing {module_name!r} failed: {type(error).__name__}: {error}") from None
    missing = [name for name in REQUIRED_FUNCTIONS if not callable(getattr(module, name, None))]
    if missing:
        raise UserError(f"{module_name} is not a HEAR-API module: missing function(s) {', '.join(missing)}")
    return module


def parse_model_options(text: Optional[str]) -> Dict[str, Any]:
    if not text:
        return {}
    try:
        options = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(f"--model-options is not valid JSON: {error}") from None
    if not isinstance(options, dict):
        raise UserError("--model-options must be a JSON object")
    return options


def load_hear_model(module_name: str, model_path: str = "", options: Optional[Dict[str, Any]] = None,
                    device: str = "cpu") -> HearModel:
    options = options or {}
    try:
        with collector_paused():
            module = import_module(module_name)
            model = module.load_model(model_path, **options) if model_path else module.load_model(**options)
    except UserError:
        raise
    except FileNotFoundError as error:
        raise UserError(f"{module_name}.load_model: model file not found: {error.filename or model_path}") from None
    except Exception as error:
        raise UserError(f"{module_name}.load_model failed: {type(error).__name__}: {error}") from None
    missing = [name for name in REQUIRED_ATTRIBUTES if not hasattr(model, name)]
    if missing:
        raise UserError(f"{module_name}: the model lacks attribute(s) {', '.join(missing)}")
    if not isinstance(model, torch.nn.Module):
        raise UserError(f"{module_name}: load_model must return a torch.nn.Module, got {type(model).__name__}")
    rate = model.sample_rate
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not rate > 0 or rate != int(rate):
        raise UserError(f"{module_name}: model.sample_rate must be a positive whole number, got {rate!r}")
    notes = [] if isinstance(rate, int) else [f"model.sample_rate is {rate} ({type(rate).__name__}), not an int: "
                                              f"used as {int(rate)}"]
    model = model.to(device)
    model.eval()
    return HearModel(module_name, module, model, options, notes)


def embed(hear: HearModel, audio: torch.Tensor, embedding_type: str) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """(embeddings, timestamps) for a task's embedding type; timestamps None for scene embeddings.
    Safe to call from any thread: autograd is switched off per thread. (no_grad rather than inference_mode,
    whose tensors a module's own later in-place updates would reject.)"""
    with torch.no_grad():
        if embedding_type == "scene":
            return hear.module.get_scene_embeddings(audio, hear.model), None
        return hear.module.get_timestamp_embeddings(audio, hear.model)


@contextmanager
def intra_op_threads(n: int) -> Iterator[None]:
    """PyTorch's intra-op thread count set to n for the block (it is process-wide), then restored."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def in_order(function: Callable[[T], R], items: Iterable[T], threads: int) -> Iterator[R]:
    """function over items, `threads` calls at a time, results in the items' order; at most `threads`
    items are taken ahead, which bounds memory."""
    if threads <= 1:
        yield from map(function, items)
        return
    with intra_op_threads(max(1, torch.get_num_threads() // threads)), ThreadPoolExecutor(threads) as pool:
        pending: Deque[Future] = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def concurrent_calls_agree(hear: HearModel, device: str, embedding_types: Sequence[str], calls: int = 2) -> bool:
    """Whether `calls` simultaneous calls (one per thread) give what the same calls give one at a time,
    on synthetic audio: the runner overlaps batches only for a module that passes, so a module that keeps
    state between calls is never run concurrently."""
    inputs = [synthetic_audio(2, 1.3, hear.sample_rate, device, seed=seed) for seed in range(calls)]
    try:
        for embedding_type in embedding_types:
            alone = [embed(hear, audio, embedding_type)[0] for audio in inputs]
            together = [out[0] for out in in_order(lambda a: embed(hear, a, embedding_type), inputs, calls)]
            for one, other in zip(alone, together):
                if one.shape != other.shape or not torch.allclose(one, other, rtol=1e-4, atol=1e-6):
                    return False
    except Exception:
        return False
    return True


def default_model_threads(hear: HearModel, device: str, embedding_types: Sequence[str]) -> int:
    """Batches embedded at once: two on a CPU with cores to share (measured 1.3-1.4x faster than one call
    using both cores, for hearbaseline and heareval.baseline), one on a GPU or for a module whose
    concurrent calls disagree with its sequential ones."""
    if device != "cpu" or (os.cpu_count() or 1) < 2:
        return 1
    return 2 if concurrent_calls_agree(hear, device, embedding_types) else 1


def _check_tensor(name: str, value: Any, shape: Sequence[Optional[int]], problems: List[str]) -> bool:
    if not isinstance(value, torch.Tensor):
        problems.append(f"{name} must be a torch.Tensor, got {type(value).__name__}")
        return False
    if value.ndim != len(shape) or any(e is not None and e != a for e, a in zip(shape, value.shape)):
        want = "(" + ", ".join("?" if e is None else str(e) for e in shape) + ")"
        problems.append(f"{name} has shape {tuple(value.shape)}, expected {want}")
        return False
    return True


def _check_embeddings(name: str, value: torch.Tensor, problems: List[str]) -> bool:
    if value.dtype != torch.float32:  # the official validator refuses other dtypes too
        problems.append(f"{name} has dtype {value.dtype}, expected torch.float32")
        return False
    if not torch.isfinite(value).all():
        problems.append(f"{name} contains NaN or Inf")
        return False
    return True


def _check_timestamps(timestamps: torch.Tensor, duration_ms: float, problems: List[str], notes: List[str]) -> None:
    """Timestamps of any real dtype are stored as float milliseconds (the official validator accepts
    integers, as hearbaseline.torchcrepe returns); those that would mislabel frames are refused."""
    if timestamps.dtype == torch.bool or timestamps.is_complex():
        problems.append(f"timestamps have dtype {timestamps.dtype}, expected real numbers (ms)")
        return
    if timestamps.dtype != torch.float32:
        notes.append(f"timestamps have dtype {timestamps.dtype}, not torch.float32: stored as float milliseconds")
    times = timestamps.detach().double().cpu()
    if not torch.isfinite(times).all():
        problems.append("timestamps contain NaN or Inf")
    elif times.shape[1] > 1 and not bool((torch.diff(times, dim=1) > 0).all()):
        problems.append("timestamps do not increase along each sound")
    elif times.numel() and float(times.max()) > duration_ms:
        problems.append(f"timestamps end at {float(times.max()):g} ms, after the audio's end at {duration_ms:g} ms")
    elif times.numel() and float(times.max()) < duration_ms / 2:
        notes.append(f"timestamps end at {float(times.max()):g} ms of {duration_ms:g} ms of audio: they must be in "
                     "milliseconds (events in the rest of the audio get no frames)")


def check_outputs(hear: HearModel, audio: torch.Tensor, embedding_type: str) -> Tuple[List[str], List[str]]:
    """(problems, notes) of the model's output on `audio`: problems make it unusable, notes say where it is
    loose with the API but is accepted, as the official validator accepts it."""
    model = hear.model
    n = audio.shape[0]
    problems: List[str] = []
    notes: List[str] = []
    try:
        out = embed(hear, audio, embedding_type)
        if embedding_type == "scene":
            name = "get_scene_embeddings output"
            if _check_tensor(name, out[0], (n, int(model.scene_embedding_size)), problems):
                _check_embeddings(name, out[0], problems)
        else:
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                return ["get_timestamp_embeddings must return (embeddings, timestamps)"], notes
            if isinstance(out, list):
                notes.append("get_timestamp_embeddings returns a list, not a tuple (embeddings, timestamps)")
            embeddings, timestamps = out
            ok = _check_tensor("timestamp embeddings", embeddings, (n, None, int(model.timestamp_embedding_size)),
                               problems) and _check_embeddings("timestamp embeddings", embeddings, problems)
            if ok and _check_tensor("timestamps", timestamps, (n, embeddings.shape[1]), problems):
                _check_timestamps(timestamps, audio.shape[1] * 1000.0 / hear.sample_rate, problems, notes)
    except Exception as error:
        problems.append(f"{embedding_type} embedding raised {type(error).__name__}: {error}\n"
                        + traceback.format_exc(limit=3))
    return problems, notes


def synthetic_audio(n_sounds: int, seconds: float, sample_rate: int, device: str, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(n_sounds, int(seconds * sample_rate), generator=generator) * 1.8 - 0.9).to(device)


# The sounds (count, seconds) the official validator (hearvalidator 2021.0.6) embeds: a module that fails
# on them is refused.
OFFICIAL_TRIES = {"scene": ((4, 2.74),), "event": ((2, 1.07), (2, 1.98), (2, 4.0))}
# heareval also tries a single short sound and an odd batch. The official validator accepts a module that
# fails there, so a failure is a warning (a task with clips that short will fail on such a module).
EXTRA_TRIES = ((1, 0.5), (3, 1.0))


def validate_model(hear: HearModel, device: str, embedding_types: Sequence[str] = ("scene", "event"),
                   extra: bool = True) -> List[str]:
    """Report lines `ok ...`, `warn ...` and `FAIL ...` for every (type, batch, length) tried."""
    report = list(hear.notes_as_report())
    for embedding_type in embedding_types:
        tries = [(batch, seconds, True) for batch, seconds in OFFICIAL_TRIES[embedding_type]]
        tries += [(batch, seconds, False) for batch, seconds in EXTRA_TRIES] if extra else []
        for batch, seconds, required in tries:
            audio = synthetic_audio(batch, seconds, hear.sample_rate, device)
            problems, notes = check_outputs(hear, audio, embedding_type)
            what = f"{'scene' if embedding_type == 'scene' else 'timestamp'} embeddings, {batch} x {seconds} s"
            if problems and not required:
                notes = [f"fails on {batch} x {seconds} s, which the official validator does not try "
                         f"({problems[0].splitlines()[0]}); tasks with such clips will fail"]
                problems = []
            report.extend([f"FAIL {what}: {p}" for p in problems] + [f"warn {what}: {n}" for n in notes]
                          or [f"ok   {what}"])
    return report


def require_valid(hear: HearModel, device: str, embedding_types: Sequence[str]) -> None:
    """Raise one UserError naming the first API violation (the runner's check before any task); log each
    looseness once."""
    report = validate_model(hear, device, embedding_types=embedding_types, extra=False)
    failures = [line for line in report if line.startswith("FAIL")]
    if failures:
        raise UserError(f"{hear.module_name} violates the HEAR API: {failures[0][5:].splitlines()[0]}")
    for note in dict.fromkeys(line.split(": ", 1)[-1] for line in report if line.startswith("warn")):
        logger.warning("%s is loose with the HEAR API, accepted as the official validator accepts it: %s",
                       hear.module_name, note)
