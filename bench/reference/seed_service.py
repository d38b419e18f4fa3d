"""The seed manual's service loop, running, as a yardstick for `npm run bench`.

Where picam_reference.py times the seed's per-frame steps in a tight loop,
this runs them the way the seed's main.py wires them (see the seed manual):

* a capture thread takes a frame every 1/fps s (a fresh array, as
  picamera2's capture_array hands over; codec 'rgb'), scores it (grey mean,
  the night controller's input) and appends it with its FrameMetadata to a
  thread-safe deque of ``--ring-frames`` frames (the manual's ``ring``);
* a trigger server on a TCP port takes ``SNAP`` / ``save`` (the manual uses
  both) and saves the frames from ``save_before_s`` before to
  ``save_after_s`` after the trigger in each configured format, one file
  after another, with cv2.imwrite / np.save.

The manual says nothing more about how the window is saved, so the simplest
reading is taken: wait out the after-window, take the ring, write the
window's frames. It sends no reply (the manual's ``echo SNAP | nc`` expects
none) and has no command to change settings: each configuration is a fresh
process, as it would be for the seed.

What the bench reads, one JSON line per thing on stdout: ``{"ready": ...}``
once the port listens and the first frame is in the ring, then per trigger
when its last file is written: wall-clock times (time.time(), the machine's
clock the bench also reads) of the trigger's arrival, the first file and the
last file, the frames written, and the capture counters at both ends.
Memory and CPU the bench reads from /proc.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import threading
import time

import numpy as np

from picam_reference import FrameMetadata, RingBuffer, dark_score, save

DARK_THRESHOLD = 40.0
emit_lock = threading.Lock()


def emit(record: dict[str, object]) -> None:
    with emit_lock:
        print(json.dumps(record), flush=True)


class Capture(threading.Thread):
    """A camera at `fps`: a frame the application is too late for is gone (counted by the bench as lost).

    Each frame is read from the scene file into a fresh array (as
    capture_array hands over a new one), so the source's frames are not held
    in this process and its RSS is the seed's own: interpreter, libraries, ring.
    """

    def __init__(self, frames_file: str, shape: tuple[int, int, int], count: int, fps: float, ring: RingBuffer) -> None:
        super().__init__(daemon=True)
        self.source = open(frames_file, "rb", buffering=0)
        self.shape = shape
        self.count = count
        self.period = 1.0 / fps
        self.ring = ring
        self.captured = 0
        self.first = threading.Event()

    def run(self) -> None:
        due = time.perf_counter()
        frame_id = 0
        while True:
            frame = np.empty(self.shape, dtype=np.uint8)
            self.source.seek((frame_id % self.count) * frame.nbytes)
            self.source.readinto(memoryview(frame).cast("B"))
            score = dark_score(frame)
            self.ring.append(frame, FrameMetadata(frame_id=frame_id, timestamp=time.time(), dark_score=score, night_mode=score < DARK_THRESHOLD))
            self.captured += 1
            frame_id += 1
            self.first.set()
            due += self.period
            late = time.perf_counter() - due
            if late > self.period:
                # The sensor did not wait: skip the frames it delivered meanwhile.
                skipped = int(late / self.period)
                frame_id += skipped
                due += skipped * self.period
            elif late < 0:
                time.sleep(-late)


def export(ring: RingBuffer, capture: Capture, trigger_at: float, before_s: float, after_s: float, formats: list[str], base_dir: str, event: int) -> None:
    captured_at_trigger = capture.captured
    time.sleep(max(0.0, trigger_at + after_s - time.time()))
    window = [(f, m) for f, m in ring.snapshot() if trigger_at - before_s <= m.timestamp <= trigger_at + after_s]
    folder = os.path.join(base_dir, f"event_{event:04d}_{trigger_at:.3f}")
    os.makedirs(folder)
    first_file_at = None
    for frame, meta in window:
        stem = os.path.join(folder, f"{meta.frame_id:06d}_{meta.timestamp:.3f}")
        for fmt in formats:
            save(frame, stem, fmt)
            if first_file_at is None:
                first_file_at = time.time()
    emit({
        "event": event, "folder": folder, "trigger_at": trigger_at, "first_file_at": first_file_at, "complete_at": time.time(),
        "frames": len(window), "captured_at_trigger": captured_at_trigger, "captured_at_complete": capture.captured,
    })


def warm_up(ring: RingBuffer, formats: list[str], base_dir: str) -> None:
    """One file per format, unmeasured, before the bench is told to start: picam gets one warm-up export too."""
    folder = os.path.join(base_dir, "warm-up")
    os.makedirs(folder)
    frame, _ = ring.snapshot()[-1]
    for fmt in formats:
        save(frame, os.path.join(folder, "frame"), fmt)
    shutil.rmtree(folder)


def serve(server: socket.socket, ring: RingBuffer, capture: Capture, a: argparse.Namespace) -> None:
    event = 0
    while True:
        conn, _ = server.accept()
        with conn:
            line = conn.makefile("r", encoding="utf8", errors="replace").readline()
        trigger_at = time.time()
        if line.strip().lower() in ("snap", "save"):
            event += 1
            threading.Thread(target=export, args=(ring, capture, trigger_at, a.before_s, a.after_s, a.formats.split(","), a.base_dir, event), daemon=True).start()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", required=True, help="raw rgb24 file of whole frames")
    p.add_argument("--width", type=int, required=True)
    p.add_argument("--height", type=int, required=True)
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--ring-frames", type=int, required=True)
    p.add_argument("--formats", default="jpg")
    p.add_argument("--before-s", type=float, default=2.0)
    p.add_argument("--after-s", type=float, default=2.0)
    p.add_argument("--base-dir", required=True)
    p.add_argument("--port", type=int, default=0)
    a = p.parse_args()

    size = os.path.getsize(a.frames)
    per_frame = a.width * a.height * 3
    if size == 0 or size % per_frame != 0:
        print(f"{a.frames}: {size} bytes is not a whole number of {a.width}x{a.height} rgb24 frames", file=sys.stderr)
        return 2

    ring = RingBuffer(a.ring_frames)
    capture = Capture(a.frames, (a.height, a.width, 3), size // per_frame, a.fps, ring)
    server = socket.create_server(("127.0.0.1", a.port))
    capture.start()
    capture.first.wait()
    warm_up(ring, a.formats.split(","), a.base_dir)
    emit({"ready": True, "port": server.getsockname()[1], "pid": os.getpid()})
    serve(server, ring, capture, a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
