"""Print one JSON line per streamed JPEG frame: id, capture and receive time, age, dropped.

The age (receive - capture) is meaningful when client and camera share a
clock (the same machine, or NTP on a LAN). Handy to see how fresh frames
are over a given link:

    python examples/frame_ages.py raspberrypi:50051 10
"""

from __future__ import annotations

import json
import sys
import threading
import time

from picam_client import PicamClient, pb


def main() -> int:
    address = sys.argv[1] if len(sys.argv) > 1 else "localhost:50051"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    with PicamClient(address) as cam:
        stream = cam.raw_frames(pb.StreamFramesRequest(encoding=pb.ENCODING_JPEG))
        # Closing from a timer thread ends the blocked iteration quietly.
        threading.Timer(seconds, stream.close).start()
        for resp in stream:
            now = time.time()
            captured = resp.frame.capture_time.seconds + resp.frame.capture_time.nanos / 1e9
            print(json.dumps({
                "id": resp.frame.frame_id,
                "capture_ms": round(captured * 1000),
                "receive_ms": round(now * 1000),
                "age_ms": round((now - captured) * 1000),
                "dropped": resp.dropped,
                "bytes": len(resp.frame.data),
            }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
