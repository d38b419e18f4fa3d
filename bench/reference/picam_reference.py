"""The seed manual's approach to picam's per-frame work, as a yardstick.

The original Python service (see the seed manual) keeps frames in a
thread-safe ring buffer (a ``collections.deque``) with a ``FrameMetadata``
dataclass per frame, scores darkness as the mean of the frame converted to
grey with OpenCV, and saves with ``cv2.imwrite`` and ``np.save``. This script
does exactly that on the frames the bench passes in as one raw rgb24 file (the
camera-like scene, bench/scene.ts, or picam's flat synthetic source), and
prints JSON for ``npm run bench``. seed_service.py runs the same steps as a
service (capture thread, trigger port) for the trigger, memory and soak
sections:

* ingest: CPU ms per frame (``time.process_time``, all threads) of taking a
  frame in (a fresh array, as a camera hands over), scoring it and appending
  it with its metadata; separately the grey conversion + mean alone;
* export: frames/s (wall) and CPU ms per frame of writing frames as jpg, png,
  npy, and all three, one file after another as the seed's exporter does.

It is the seed's approach, not a product: no temp names, no fsync. One extra
set, ``npy+fdatasync``, is not the seed's: its npy loop with each file's bytes
synced before the next, as picam's are.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

JPEG_QUALITY = 90  # picam's export.jpeg_quality default
PNG_COMPRESSION = 1  # picam's export.png_compression default
# Not the seed's: its npy loop with an fdatasync after each file, for comparing with picam's durable files.
DURABLE_NPY = "npy+fdatasync"


@dataclass(kw_only=True, slots=True)
class FrameMetadata:
    frame_id: int
    timestamp: float
    dark_score: float
    night_mode: bool


class RingBuffer:
    """Thread-safe ring of the most recent frames, as in the seed's ring_buffer.py."""

    def __init__(self, size: int) -> None:
        self._frames: deque[tuple[np.ndarray, FrameMetadata]] = deque(maxlen=size)
        self._lock = threading.Lock()

    def append(self, frame: np.ndarray, meta: FrameMetadata) -> None:
        with self._lock:
            self._frames.append((frame, meta))

    def snapshot(self) -> list[tuple[np.ndarray, FrameMetadata]]:
        with self._lock:
            return list(self._frames)


def dark_score(frame: np.ndarray) -> float:
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    return float(gray.mean())


def ingest_run(ring: RingBuffer, frames: list[np.ndarray], count: int, first_id: int, dark_threshold: float) -> float:
    """CPU ms per frame of take-in + dark score + metadata + ring append."""
    start = time.process_time()
    for i in range(count):
        # A camera hands over a new array per frame (picamera2 capture_array): copy, as it would.
        frame = frames[i % len(frames)].copy()
        score = dark_score(frame)
        ring.append(frame, FrameMetadata(frame_id=first_id + i, timestamp=time.time(), dark_score=score, night_mode=score < dark_threshold))
    return (time.process_time() - start) * 1000 / count


def gray_run(frames: list[np.ndarray], count: int) -> float:
    start = time.process_time()
    for i in range(count):
        dark_score(frames[i % len(frames)])
    return (time.process_time() - start) * 1000 / count


def save(frame: np.ndarray, stem: str, fmt: str, durable: bool = False) -> None:
    if fmt == "jpg":
        ok = cv2.imwrite(stem + ".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    elif fmt == "png":
        ok = cv2.imwrite(stem + ".png", frame, [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION])
    elif durable:
        # The least a file needs to survive a power cut once written: its bytes on the disk.
        with open(stem + ".npy", "wb") as f:
            np.save(f, frame)
            f.flush()
            os.fdatasync(f.fileno())
        ok = True
    else:
        np.save(stem + ".npy", frame)
        ok = True
    if not ok:
        raise RuntimeError(f"cv2.imwrite failed for {stem}.{fmt}")


def export_run(ring: RingBuffer, count: int, formats: list[str], folder: str, durable: bool = False) -> tuple[float, float]:
    """(frames/s wall, CPU ms per frame) writing `count` ring frames in `formats`."""
    os.makedirs(folder)
    held = ring.snapshot()
    wall = time.perf_counter()
    cpu = time.process_time()
    for i in range(count):
        frame, meta = held[i % len(held)]
        stem = os.path.join(folder, f"{meta.frame_id:010d}_{meta.timestamp:.3f}")
        for fmt in formats:
            save(frame, stem, fmt, durable)
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    shutil.rmtree(folder)
    return count / wall, cpu * 1000 / count


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", required=True, help="raw rgb24 file of whole frames")
    p.add_argument("--width", type=int, required=True)
    p.add_argument("--height", type=int, required=True)
    p.add_argument("--ingest-frames", type=int, default=300)
    p.add_argument("--export-frames", type=int, default=30)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--ring", type=int, default=30)
    p.add_argument("--out-dir", required=True, help="scratch folder for exported files (emptied after each run)")
    p.add_argument("--sets", default="jpg,png,npy,jpg+png+npy", help="export sets to run, comma-separated")
    a = p.parse_args()

    raw = np.fromfile(a.frames, dtype=np.uint8)
    per_frame = a.width * a.height * 3
    if raw.size == 0 or raw.size % per_frame != 0:
        print(f"{a.frames}: {raw.size} bytes is not a whole number of {a.width}x{a.height} rgb24 frames", file=sys.stderr)
        return 2
    frames = [f.reshape(a.height, a.width, 3) for f in np.split(raw, raw.size // per_frame)]

    ring = RingBuffer(a.ring)
    next_id = 1
    ingest_run(ring, frames, a.ring, next_id, 40.0)  # warm-up: the ring's arrays allocated once
    next_id += a.ring
    ingest, gray = [], []
    for _ in range(a.runs):
        ingest.append(ingest_run(ring, frames, a.ingest_frames, next_id, 40.0))
        next_id += a.ingest_frames
        gray.append(gray_run(frames, a.ingest_frames))

    export: dict[str, dict[str, list[float]]] = {}
    sets = {"jpg": ["jpg"], "png": ["png"], "npy": ["npy"], "jpg+png+npy": ["jpg", "png", "npy"], DURABLE_NPY: ["npy"]}
    for name in a.sets.split(","):
        if name not in sets:
            print(f"--sets: unknown set {name!r} (known: {', '.join(sets)})", file=sys.stderr)
            return 2
        formats = sets[name]
        # One unmeasured run first, as picam's export rows have a warm-up export: the first
        # imwrite of a format pays its encoder's set-up, which a run of 20 frames would carry.
        durable = name == DURABLE_NPY
        export_run(ring, min(5, a.export_frames), formats, os.path.join(a.out_dir, f"{name}-warm-up"), durable)
        fps, cpu = [], []
        for run in range(a.runs):
            f, c = export_run(ring, a.export_frames, formats, os.path.join(a.out_dir, f"{name}-{run}"), durable)
            fps.append(f)
            cpu.append(c)
        export[name] = {"fps": fps, "cpu_ms_per_frame": cpu}

    json.dump({
        "width": a.width,
        "height": a.height,
        "ingest_cpu_ms_per_frame": ingest,
        "gray_mean_cpu_ms_per_frame": gray,
        "export": export,
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "opencv": cv2.__version__, "cv2_threads": cv2.getNumThreads()},
    }, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
