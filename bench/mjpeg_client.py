"""One /live.mjpg viewer for `npm run bench`, speaking the protocol of stream_client.py.

It reads the multipart stream as a browser would (standard library only),
prints ``{"ready": true}`` after the first part, waits for the start time
on stdin, and after the last window prints the same JSON as
stream_client.py: frames, bytes and the server's X-Dropped count per
window, the median age per window and every part's age (receipt minus
X-Timestamp-Ms, the capture time; same machine, same clock).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.request

from frame_windows import print_windows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--windows", type=int, default=3)
    p.add_argument("--window-s", type=float, default=2.0)
    a = p.parse_args()

    response = urllib.request.urlopen(a.url, timeout=30)
    start: list[float] = []
    done = threading.Event()

    def await_start() -> None:
        line = sys.stdin.readline()
        if line.strip():
            start.append(float(line))
            threading.Timer(max(0.0, start[0] + a.windows * a.window_s - time.time()), done.set).start()
        else:
            done.set()

    threading.Thread(target=await_start, daemon=True).start()
    received: list[tuple[float, int, int, float]] = []
    announced = False
    while not done.is_set():
        line = response.readline()
        if not line:
            break
        if not line.startswith(b"--"):
            continue
        headers: dict[str, str] = {}
        while True:
            h = response.readline().strip()
            if not h:
                break
            k, _, v = h.decode("latin1").partition(":")
            headers[k.strip().lower()] = v.strip()
        body = response.read(int(headers["content-length"]))
        now = time.time()
        received.append((now, len(body), int(headers.get("x-dropped", "0")), now - int(headers["x-timestamp-ms"]) / 1000))
        if not announced:
            print(json.dumps({"ready": True}), flush=True)
            announced = True
    response.close()
    if not start:
        print("the stream ended before a start time came", file=sys.stderr)
        return 3
    print_windows(received, start[0], a.windows, a.window_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
