"""One StreamFrames subscriber for `npm run bench`, through the generated Python client.

Run with the client's venv (clients/python/.venv/bin/python). It connects,
starts the stream at once (the warm-up), prints ``{"ready": true}`` after the
first message, then waits for one line on stdin: the wall-clock start time
(Unix seconds) of the first measuring window, so several subscriber
processes count over the same windows. After the last window it closes the
stream and prints one JSON line: frames, bytes and the server's dropped
count per window, the median age of the frames received per window (capture
to receipt; same machine, same clock) and every frame's age.

``--sleep-per-message`` makes a deliberately slow subscriber (a detector
that needs that long per frame): the server should drop frames for it,
not queue them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time

from picam_client import PicamClient, pb

from frame_windows import print_windows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--address", required=True)
    p.add_argument("--encoding", choices=["jpeg", "raw"], required=True)
    p.add_argument("--quality", type=int, default=80)
    p.add_argument("--width", type=int, default=0)
    p.add_argument("--windows", type=int, default=3)
    p.add_argument("--window-s", type=float, default=2.0)
    p.add_argument("--sleep-per-message", type=float, default=0.0)
    p.add_argument("--ready-timeout", type=float, default=30.0)
    a = p.parse_args()

    encoding = pb.ENCODING_JPEG if a.encoding == "jpeg" else pb.ENCODING_RAW
    request = pb.StreamFramesRequest(encoding=encoding, width=a.width)
    if encoding == pb.ENCODING_JPEG:
        request.quality = a.quality
    else:
        request.pixel_format = pb.PIXEL_FORMAT_RGB24

    # PicamClient sets the 64 MiB receive limit raw 1080p frames need.
    with PicamClient(a.address, timeout=10.0) as cam:
        cam.wait_ready(timeout=a.ready_timeout)
        stream = cam.raw_frames(request)
        start: list[float] = []
        failure: list[str] = []

        def await_start() -> None:
            line = sys.stdin.readline()
            if not line.strip():
                failure.append("stdin closed before a start time came")
                stream.close()
                return
            start.append(float(line))
            end = start[0] + a.windows * a.window_s
            # Closing from this thread ends the blocked iteration quietly, even when no frame comes.
            threading.Timer(max(0.0, end - time.time()), stream.close).start()

        threading.Thread(target=await_start, daemon=True).start()
        # (receive time, payload bytes, frames the server skipped before this one, age of the frame in s)
        received: list[tuple[float, int, int, float]] = []
        announced = False
        for resp in stream:
            now = time.time()
            captured = resp.frame.capture_time.seconds + resp.frame.capture_time.nanos / 1e9
            received.append((now, len(resp.frame.data), resp.dropped, now - captured))
            if not announced:
                print(json.dumps({"ready": True}), flush=True)
                announced = True
            if a.sleep_per_message > 0:
                time.sleep(a.sleep_per_message)
        if failure:
            print(failure[0], file=sys.stderr)
            return 3
        if not start:
            print("the stream ended before a start time came", file=sys.stderr)
            return 3

    print_windows(received, start[0], a.windows, a.window_s)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Not sys.exit: at interpreter shutdown grpcio's daemon threads are frozen wherever they are, and the final
    # garbage collection then runs _Rendezvous.__del__, which waits for an RPC state lock such a thread may hold.
    # One of four subscribers hung there for 12 minutes after printing its result (grpcio 1.76, full bench run).
    os._exit(code)
