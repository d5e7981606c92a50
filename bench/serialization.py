"""Serialization throughput: each format's save and load speed on one large float64 array,
as a percentage of this machine's memory-copy bandwidth measured in the same rounds.

Files go to /dev/shm (a RAM-backed tmpfs) when it has room: the question is how close each
format's own code path comes to the memory limit, and a disk would add its own speed, which
varies far more between machines (and between runs, with write-back) than any format does.
"""

from __future__ import annotations

import gc
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.common import units
from autograder.common.text import error_line
from bench.core import MB, Measurement, Section, progress

FULL_BYTES = 400_000_000  # 400 MB of float64 (50 M values)
QUICK_BYTES = 4_000_000
SEED = 20241122


@dataclass(frozen=True)
class Codec:
    name: str
    suffix: str
    save: Callable[[np.ndarray, Path], None]
    load: Callable[[Path], np.ndarray]
    key: str = ""  # its rows' keys in benchmarks.json: KEY-save, KEY-load, KEY-save-exponent


def _pickle_save(array, path):
    with open(path, "wb") as f:
        pickle.dump(array, f, protocol=5)


def _pickle_load(path):
    with open(path, "rb") as f:
        return pickle.load(f)


def _joblib_save(array, path):
    import joblib

    joblib.dump(array, path)


def _joblib_load(path):
    import joblib

    return joblib.load(path)  # no mmap_mode: a real copy in memory, like the others


def _npy_save(array, path):
    np.save(path, array, allow_pickle=False)


def _npy_load(path):
    return np.load(path, allow_pickle=False)


def _safetensors_save(array, path):
    from safetensors.numpy import save_file

    save_file({"x": array}, path)


def _safetensors_load(path):
    from safetensors.numpy import load_file

    return load_file(path)["x"]


def _torch_save(array, path):
    import torch

    torch.save({"x": torch.from_numpy(array)}, path)  # from_numpy shares memory: no copy


def _torch_load(path):
    import torch

    return torch.load(path, weights_only=True)["x"].numpy()


def _onnx_save(array, path):
    """A one-node graph (Identity) whose only initializer is the array."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    tensor = numpy_helper.from_array(array, name="x")
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "array", [],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, list(array.shape))], [tensor])
    onnx.save_model(helper.make_model(graph), path)


def _onnx_load(path):
    import onnx
    from onnx import numpy_helper

    return numpy_helper.to_array(onnx.load_model(path).graph.initializer[0])


CODECS = (
    Codec("pickle protocol 5", ".pkl", _pickle_save, _pickle_load, "pickle"),
    Codec("joblib (uncompressed)", ".joblib", _joblib_save, _joblib_load, "joblib"),
    Codec("numpy .npy", ".npy", _npy_save, _npy_load, "npy"),
    Codec("safetensors (numpy API)", ".safetensors", _safetensors_save, _safetensors_load,
          "safetensors"),
    Codec("torch.save / torch.load", ".pt", _torch_save, _torch_load, "torch"),
    Codec("ONNX initializer", ".onnx", _onnx_save, _onnx_load, "onnx"),
)
SCALING = ("pickle", "torch", "safetensors")  # the save-time exponent's formats
SCALING_VALUES = (100_000, 1_000_000, 10_000_000)
QUICK_SCALING_VALUES = (10_000, 100_000, 1_000_000)


def choose_folder(size: int) -> tuple[Path, str]:
    """/dev/shm when it can hold the file with room to spare; else the temp folder (disk)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 3 * size:
        return shm, "/dev/shm (tmpfs, in RAM)"
    folder = Path(tempfile.gettempdir())
    return folder, f"{folder} (disk: /dev/shm missing or too small)"


def available_memory() -> int:
    import psutil

    return psutil.virtual_memory().available


def memcpy_seconds(source: np.ndarray, target: np.ndarray) -> float:
    start = time.perf_counter()
    np.copyto(target, source)
    return time.perf_counter() - start


def _timed(func, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = func(*args)
    return time.perf_counter() - start, result


def measure(size: int, repeats: int, folder: Path, formats=CODECS
            ) -> tuple[dict[str, list[float]], list[float], dict[str, str]]:
    """Interleaved rounds: memcpy, then every format's save and load (the order rotates each
    round, so no format always runs first). Returns per '<format> save|load' the seconds, the
    memcpy seconds, and one-line problems. Only one file and one loaded copy exist at a time."""
    rng = np.random.default_rng(SEED)
    source = rng.standard_normal(size // 8)
    target = np.empty_like(source)
    np.copyto(target, source)  # fault the target's pages in: memcpy is then the memory limit
    seconds: dict[str, list[float]] = {f"{f.name} {op}": [] for f in formats for op in
                                      ("save", "load")}
    memcpy: list[float] = []
    seconds["copy into a new array"] = []
    problems: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-serialization-", dir=folder) as tmp:
        for fmt in formats:  # warm up: imports and first-call costs stay out of round 1
            try:
                fmt.save(source[:16], Path(tmp) / f"warm{fmt.suffix}")
                fmt.load(Path(tmp) / f"warm{fmt.suffix}")
            except Exception:  # reported by the timed rounds below
                pass
        for round_ in range(repeats):
            progress(f"serialization: round {round_ + 1} of {repeats}")
            memcpy.append(memcpy_seconds(source, target))
            took, fresh = _timed(source.copy)  # pays for faulting in new pages, as loads do
            seconds["copy into a new array"].append(took)
            del fresh
            shift = round_ % len(formats)
            for fmt in formats[shift:] + formats[:shift]:
                if fmt.name in problems:
                    continue
                path = Path(tmp) / f"array{fmt.suffix}"
                loaded = None
                try:
                    took, _ = _timed(fmt.save, source, path)
                    seconds[f"{fmt.name} save"].append(took)
                    took, loaded = _timed(fmt.load, path)
                    if not np.array_equal(loaded, source):
                        raise ValueError("the loaded array differs from the saved one")
                    seconds[f"{fmt.name} load"].append(took)
                except Exception as exc:  # one format failing must not stop the others
                    problems[fmt.name] = error_line(exc)
                finally:
                    del loaded
                    path.unlink(missing_ok=True)
                    gc.collect()
    return seconds, memcpy, problems


def scaling(folder: Path, sizes: tuple[int, ...], repeats: int) -> list[Measurement]:
    """How save time grows with the number of values: the slope of log(time) against
    log(values) over `sizes` float32 arrays, one fit per round (1 means linear, O(n))."""
    rng = np.random.default_rng(SEED)
    arrays = [rng.standard_normal(n, dtype=np.float32) for n in sizes]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scaling-", dir=folder) as tmp:
        for fmt in [c for c in CODECS if c.key in SCALING]:
            path = Path(tmp) / f"array{fmt.suffix}"
            slopes = []
            for _ in range(repeats):
                seconds = [min(_timed(fmt.save, a, path)[0] for _ in range(3)) for a in arrays]
                slopes.append(float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0]))
            rows.append(Measurement(f"{fmt.name}: save time exponent", "", tuple(slopes),
                                    key=f"{fmt.key}-save-exponent",
                                    note=f"log-log slope, {units.count(sizes[0])} to "
                                         f"{units.count(sizes[-1])} float32 values; "
                                         "1 = linear"))
    return rows


def run(quick: bool = False) -> Section:
    start = time.perf_counter()
    size, repeats = (QUICK_BYTES, 3) if quick else (FULL_BYTES, 5)
    folder, where = choose_folder(size)
    needed = 4 * size  # source, memcpy target, the file (tmpfs is RAM), the loaded copy
    rows: list[Measurement] = []
    notes: list[str] = []
    if available_memory() < needed + 512 * 1024**2:
        notes.append(f"Not measured: {units.size(needed, binary=True)} of free RAM is needed and "
                     f"only {units.size(available_memory(), binary=True)} is available.")
    else:
        seconds, memcpy, problems = measure(size, repeats, folder)
        bandwidth = [size / MB / s for s in memcpy]
        rows.append(Measurement("memory copy (`np.copyto`)", "MB/s", tuple(bandwidth),
                                higher_is_better=True,
                                note="the reference: 100 % in the rows below"))
        fresh = seconds["copy into a new array"]
        rows.append(Measurement("copy into a new array (`ndarray.copy`)", "% of memcpy",
                                tuple(100 * m / t for m, t in zip(memcpy, fresh, strict=True)),
                                higher_is_better=True,
                                note=f"{units.rate(np.median([size / t for t in fresh]))}; "
                                     "allocates, like every load"))
        for fmt in CODECS:
            if fmt.name in problems:
                notes.append(f"{fmt.name}: not measured: {problems[fmt.name]}")
                continue
            for op in ("save", "load"):
                times = seconds[f"{fmt.name} {op}"]
                # Each round's ratio uses that round's memcpy: both saw the same machine state.
                ratios = tuple(100 * m / t for m, t in zip(memcpy, times, strict=True))
                speed = np.median([size / t for t in times])
                rows.append(Measurement(f"{fmt.name}: {op}", "% of memcpy", ratios,
                                        key=f"{fmt.key}-{op}", higher_is_better=True,
                                        note=units.rate(speed)))
        rows += scaling(folder, QUICK_SCALING_VALUES if quick else SCALING_VALUES, repeats)
    intro = f"""
One float64 array of {units.size(size)} ({size // 8:,} random normal values) was saved
and loaded by each format, {repeats} times, and each time compared with the original
(`np.array_equal`, outside the timing). Each row is the format's throughput as a percentage of
the memory-copy bandwidth (`np.copyto` into an already-allocated array, the fastest a
single-threaded pass over this data can be on this machine). The copy is measured at the start
of every round and each round's ratio uses that round's copy, so both sides of every ratio saw
the same machine; formats are interleaved, and the order rotates each round.

**Where the files go:** {where}. tmpfs keeps the storage device out of the figure: the
question is how much each format's own code costs on top of moving the bytes, and a disk would
add a device speed that varies far more between machines than the formats do. Loads return a
real in-memory array (no memory mapping), so page faults of the new array count, as they do
for a learner. Only one file and one loaded copy exist at a time, and each is freed before the
next format.
"""
    notes += [
        "safetensors is called through its numpy API (`safetensors.numpy`), since the data is "
        "a numpy array; `torch.save` wraps it with `torch.from_numpy`, which shares its memory.",
        "ONNX keeps the array as one initializer in the model's protobuf; this works up to "
        "protobuf's 2 GB limit, beyond which ONNX needs external data files.",
        "Every save writes into fresh tmpfs pages and every load fills a newly allocated "
        "array, so the `copy into a new array` row (the same bytes into fresh memory) is the "
        "practical ceiling for all formats; its gap to `np.copyto` is what this machine's "
        "operating system charges for providing new pages.",
    ]
    if quick:
        notes.append("Quick mode: a 4 MB array, three rounds: cache effects dominate.")
    return Section("serialization", "Serialization throughput", intro, rows, notes,
                   time.perf_counter() - start)
