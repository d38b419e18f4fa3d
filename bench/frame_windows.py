"""Per-window figures both bench stream readers print (StreamFrames and /live.mjpg)."""
from __future__ import annotations

import json
import statistics


def print_windows(received: list[tuple[float, int, int, float]], start: float, windows: int, window_s: float) -> None:
    """received: (receive time, payload bytes, frames skipped before it, age in s) per frame."""
    frames = [0] * windows
    sizes = [0] * windows
    dropped = [0] * windows
    ages: list[list[float]] = [[] for _ in range(windows)]
    every_age: list[float] = []
    for at, size, skipped, age in received:
        k = int((at - start) // window_s)
        if 0 <= k < windows:
            frames[k] += 1
            sizes[k] += size
            dropped[k] += skipped
            ages[k].append(age)
            every_age.append(age * 1000)
    # Capture to receipt, median per window: how stale what the subscriber sees is.
    age_ms = [statistics.median(x) * 1000 if x else None for x in ages]
    print(json.dumps({"frames": frames, "bytes": sizes, "dropped": dropped, "age_ms": age_ms, "ages_all_ms": every_age, "window_s": window_s}), flush=True)
