"""Import a HEAR-API module, load its model, and check the API contract before a long run."""

import importlib
import json
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

    @property
    def sample_rate(self) -> int:
        return int(self.model.sample_rate)


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
    if not isinstance(model.sample_rate, int) or model.sample_rate <= 0:
        raise UserError(f"{module_name}: model.sample_rate must be a positive int, got {model.sample_rate!r}")
    model = model.to(device)
    model.eval()
    return HearModel(module_name, module, model, options)


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
    if value.dtype != torch.float32:
        problems.append(f"{name} has dtype {value.dtype}, expected torch.float32")
        return False
    if not torch.isfinite(value).all():
        problems.append(f"{name} contains NaN or Inf")
        return False
    return True


def check_outputs(hear: HearModel, audio: torch.Tensor, embedding_type: str) -> List[str]:
    """Problems with the model's output on `audio` (an empty list when it is well-formed)."""
    model = hear.model
    n = audio.shape[0]
    problems: List[str] = []
    try:
        out = embed(hear, audio, embedding_type)
        if embedding_type == "scene":
            _check_tensor("get_scene_embeddings output", out[0], (n, int(model.scene_embedding_size)), problems)
        else:
            if not isinstance(out, tuple) or len(out) != 2:
                return ["get_timestamp_embeddings must return (embeddings, timestamps)"]
            embeddings, timestamps = out
            ok = _check_tensor("timestamp embeddings", embeddings, (n, None, int(model.timestamp_embedding_size)),
                               problems)
            if ok and _check_tensor("timestamps", timestamps, (n, embeddings.shape[1]), problems):
                if timestamps.shape[1] > 1 and not bool((torch.diff(timestamps, dim=1) > 0).all()):
                    problems.append("timestamps do not increase along each sound")
    except Exception as error:
        problems.append(f"{embedding_type} embedding raised {type(error).__name__}: {error}\n"
                        + traceback.format_exc(limit=3))
    return problems


def synthetic_audio(n_sounds: int, seconds: float, sample_rate: int, device: str, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (torch.rand(n_sounds, int(seconds * sample_rate), generator=generator) * 1.8 - 0.9).to(device)


def validate_model(hear: HearModel, device: str, lengths: Sequence[float] = (0.5, 1.0, 2.3),
                   batch_sizes: Sequence[int] = (1, 3), embedding_types: Sequence[str] = ("scene", "event")
                   ) -> List[str]:
    """Report lines `ok ...` / `FAIL ...` for every (type, length, batch size) tried."""
    report = []
    for embedding_type in embedding_types:
        for seconds in lengths:
            for batch in batch_sizes:
                audio = synthetic_audio(batch, seconds, hear.sample_rate, device)
                problems = check_outputs(hear, audio, embedding_type)
                what = f"{'scene' if embedding_type == 'scene' else 'timestamp'} embeddings, {batch} x {seconds} s"
                report.extend([f"FAIL {what}: {p}" for p in problems] or [f"ok   {what}"])
    return report


def require_valid(hear: HearModel, device: str, embedding_types: Sequence[str]) -> None:
    """Raise one UserError naming the first API violation (the runner's check before any task)."""
    failures = [line for line in validate_model(hear, device, lengths=(1.0, 2.3), batch_sizes=(2,),
                                                embedding_types=embedding_types) if line.startswith("FAIL")]
    if failures:
        raise UserError(f"{hear.module_name} violates the HEAR API: {failures[0][5:].splitlines()[0]}")
