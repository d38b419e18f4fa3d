#!/usr/bin/env python3
"""A toy detector: trigger a picam event when the picture's brightness jumps.

Streams small gray RAW frames, computes each frame's mean brightness, and calls
Trigger when the mean changes by more than --threshold between two frames
(lights switched on, a door opened, ...). Prints each event id.

    python examples/detector.py --address 127.0.0.1:50051 --threshold 12
"""

from __future__ import annotations

import argparse
import sys
import time

from picam_client import PicamClient, PicamError


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--address", default="localhost:50051", help="picam gRPC address (host:port)")
    ap.add_argument("--threshold", type=float, default=12.0,
                    help="trigger when the mean brightness (0-255) changes by more than this")
    ap.add_argument("--width", type=int, default=160, help="analysis width in pixels")
    ap.add_argument("--fps", type=float, default=10.0, help="frames per second analysed")
    ap.add_argument("--cooldown", type=float, default=5.0, help="seconds between two triggers")
    ap.add_argument("--duration", type=float, default=0.0, help="stop after this many seconds (0 = run forever)")
    ap.add_argument("--max-triggers", type=int, default=0, help="stop after this many triggers (0 = no limit)")
    args = ap.parse_args(argv)

    started = time.monotonic()
    last_trigger = -float("inf")
    triggers = 0
    previous: float | None = None
    with PicamClient(args.address) as cam:
        frames = cam.frames(encoding="raw", pixel_format="gray8", width=args.width, max_fps=args.fps)
        try:
            for frame in frames:
                mean = float(frame.image.mean())
                now = time.monotonic()
                if previous is not None and abs(mean - previous) > args.threshold \
                        and now - last_trigger >= args.cooldown:
                    reason = f"brightness {previous:.1f} -> {mean:.1f} at frame {frame.frame_id}"
                    resp = cam.trigger(reason=reason, label="brightness-jump")
                    last_trigger = now
                    triggers += 1
                    print(f"event {resp.event_id}: {reason}", flush=True)
                    if args.max_triggers and triggers >= args.max_triggers:
                        break
                previous = mean
                if args.duration and now - started >= args.duration:
                    break
        except KeyboardInterrupt:
            pass
        except PicamError as err:
            print(f"detector: {err}", file=sys.stderr)
            return 1
        finally:
            frames.close()  # cancels the stream on the server
    print(f"detector: {triggers} trigger(s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
