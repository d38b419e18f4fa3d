"""The seed's dark-frame stacking, as a yardstick for picam's stacker.

The seed's exporter (see the seed manual: ``stack_dark_frames``,
``stack_count``) averages ``stack_count`` frames with numpy into one image:
``np.mean`` over the frames, back to uint8. This runs exactly that over the
frames of one raw rgb24 file, group after group, one thread, and prints JSON
for ``npm run bench``: frames stacked per second (wall) and CPU ms per frame
(``time.process_time``), one figure per run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def stack_run(frames: list[np.ndarray], count: int, total: int) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    done = 0
    while done < total:
        group = [frames[(done + k) % len(frames)] for k in range(count)]
        np.mean(np.stack(group), axis=0).astype(np.uint8)
        done += count
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return done / wall, cpu * 1000 / done


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", required=True, help="raw rgb24 file of whole frames")
    p.add_argument("--width", type=int, required=True)
    p.add_argument("--height", type=int, required=True)
    p.add_argument("--count", type=int, default=4, help="frames per stack (picam's export.stack_count default)")
    p.add_argument("--stack-frames", type=int, default=48, help="frames stacked per run")
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args()
    size = a.width * a.height * 3
    raw = np.fromfile(a.frames, dtype=np.uint8)
    n = raw.size // size
    if n < 1:
        print(f"{a.frames}: no whole {a.width}x{a.height} rgb24 frame", file=sys.stderr)
        return 1
    frames = [raw[i * size:(i + 1) * size].reshape(a.height, a.width, 3) for i in range(n)]
    stack_run(frames, a.count, a.count)  # warm: pages faulted in, numpy's first-call costs paid
    runs = [stack_run(frames, a.count, a.stack_frames) for _ in range(a.runs)]
    print(json.dumps({
        "count": a.count,
        "fps": [r[0] for r in runs],
        "cpu_ms_per_frame": [r[1] for r in runs],
        "numpy": np.__version__,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
