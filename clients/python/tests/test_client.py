"""End-to-end tests of picam_client against a real picam process.

Each test gets a fresh service (node dist/src/main.js) with a synthetic
320x240 camera on free loopback ports, in its own temporary folder.
"""

from __future__ import annotations

import importlib.metadata
import itertools
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import grpc
import numpy as np
import pytest

import picam_client
from picam_client import FieldViolation, Frame, PicamClient, PicamError, Stream, pb

HERE = Path(__file__).resolve().parent
CLIENT_DIR = HERE.parent
REPO = CLIENT_DIR.parent.parent
MAIN_JS = REPO / "dist" / "src" / "main.js"
START_TIMEOUT_S = 20.0


class PicamService:
    """A picam process on free loopback ports, stopped with SIGTERM."""

    def __init__(self, config: dict, workdir: Path) -> None:
        node = shutil.which("node")
        if node is None:
            pytest.fail("node is not on PATH; the tests need it to start picam")
        if not MAIN_JS.is_file():
            pytest.fail(f"{MAIN_JS} is missing: run `npm run build` in {REPO}")
        self.workdir = workdir
        self.config_path = workdir / "config.json"
        self.config_path.write_text(json.dumps(config))
        self.log: list[str] = []
        self.proc = subprocess.Popen(
            [node, str(MAIN_JS), "--config", str(self.config_path)],
            cwd=workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        ready: queue.Queue[dict | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, args=(ready,), daemon=True)
        self._reader.start()
        try:
            line = ready.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            self.stop()
            pytest.fail("picam did not log 'listening' in time:\n" + "\n".join(self.log))
        if line is None:
            self.stop()
            pytest.fail("picam exited before listening:\n" + "\n".join(self.log))
        self.grpc_port = int(line["grpc_port"])
        self.line_port = int(line["line_port"])
        self.address = f"127.0.0.1:{self.grpc_port}"

    def _read(self, ready: queue.Queue) -> None:
        # Keeps draining stdout for the whole run so the pipe never fills.
        assert self.proc.stdout is not None
        announced = False
        for raw in self.proc.stdout:
            self.log.append(raw.rstrip("\n"))
            if announced:
                continue
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if str(entry.get("msg", "")).startswith("listening") and "grpc_port" in entry:
                announced = True
                ready.put(entry)
        if not announced:
            ready.put(None)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        return self.proc.returncode


def make_config(base: Path, **camera: object) -> dict:
    return {
        "camera": {"source": "synthetic", "width": 320, "height": 240, "framerate": 30, **camera},
        "ring": {"frames": 60},
        "export": {"base_dir": str(base / "events"), "save_before_s": 0.3, "save_after_s": 0.3},
        "network": {"host": "127.0.0.1", "port": 0, "grpc_port": 0, "http_port": 0},
        "logging": {"level": "info"},
    }


@pytest.fixture
def service() -> Iterator[PicamService]:
    workdir = Path(tempfile.mkdtemp(prefix="picam-pytest-"))
    svc = PicamService(make_config(workdir), workdir)
    try:
        yield svc
    finally:
        rc = svc.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    assert rc == 0, "picam did not exit cleanly on SIGTERM:\n" + "\n".join(svc.log[-20:])


@pytest.fixture
def client(service: PicamService) -> Iterator[PicamClient]:
    with PicamClient(service.address, timeout=10.0) as c:
        c.wait_ready(timeout=10.0)
        yield c


def take(it: Stream[Frame], n: int) -> list[Frame]:
    frames = list(itertools.islice(it, n))
    it.close()
    return frames


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return value
        time.sleep(interval)


# --- Trigger -----------------------------------------------------------------


def ring_holds(client: PicamClient, frames: int) -> None:
    """Wait until the ring holds at least ``frames`` frames (the camera runs at 30 fps)."""
    assert wait_for(lambda: client.status().ring.filled_frames >= frames, timeout=10.0), (
        f"the ring did not reach {frames} frames"
    )


def test_trigger_wait_completes_and_writes_files(client: PicamClient) -> None:
    ring_holds(client, 12)  # more than save_before_s (0.3 s) of frames
    resp = client.trigger(reason="pytest", label="unit", wait=True, formats=["jpg"])
    assert resp.state == pb.EVENT_STATE_COMPLETE
    assert resp.event_id
    assert resp.frames_before > 0
    assert resp.trigger_time.ToDatetime(tzinfo=timezone.utc) <= datetime.now(timezone.utc)
    event_dir = Path(resp.dir)
    assert event_dir.is_dir()
    files = [p for p in event_dir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".jpg" for p in files), files

    detail = client.get_event(resp.event_id)
    assert detail.event.state == pb.EVENT_STATE_COMPLETE
    assert detail.event.reason == "pytest"
    assert detail.event.frame_count == len(detail.frames) > 0
    for frame in detail.frames:
        assert frame.files
        for name in frame.files:
            assert (event_dir / name).is_file()


def test_trigger_without_wait_is_pending(client: PicamClient) -> None:
    resp = client.trigger(reason="async", before_s=0.1, after_s=0.5)
    assert resp.state == pb.EVENT_STATE_PENDING
    assert resp.event_id


def test_trigger_invalid_argument(client: PicamClient) -> None:
    with pytest.raises(PicamError) as err:
        client.trigger(before_s=-1)
    assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.field == "before_s"
    assert err.value.message.startswith("before_s: ")
    assert isinstance(err.value, grpc.RpcError), "except grpc.RpcError still catches it"
    assert isinstance(err.value.__cause__, grpc.RpcError) and isinstance(err.value.__cause__, grpc.Call)


def test_trigger_window_too_long_names_after_s_from_the_bad_request_details(client: PicamClient) -> None:
    with pytest.raises(PicamError) as err:
        client.trigger(after_s=3600)
    e = err.value
    assert e.code == grpc.StatusCode.INVALID_ARGUMENT
    assert e.message == "after_s: expected before_s + after_s <= 60 s (export.max_window_s), received 0.3 + 3600"
    assert e.field == "after_s"
    assert e.field_violations == (FieldViolation("after_s", e.message),)
    assert str(e) == f"INVALID_ARGUMENT: {e.message}"
    assert client.status().events_pending == 0


# --- StreamFrames ------------------------------------------------------------


def test_frames_raw_rgb24(client: PicamClient) -> None:
    frames = take(client.frames(encoding="raw", pixel_format="rgb24"), 3)
    assert len(frames) == 3
    ids = [f.frame_id for f in frames]
    assert ids == sorted(ids) and len(set(ids)) == 3
    for f in frames:
        assert f.image is not None
        assert f.image.shape == (240, 320, 3)
        assert f.image.dtype == np.uint8
        assert (f.width, f.height) == (320, 240)
        assert f.encoding == pb.ENCODING_RAW and f.pixel_format == pb.PIXEL_FORMAT_RGB24
        assert isinstance(f.capture_time, datetime) and f.capture_time.tzinfo is not None
        assert f.exposure_us > 0 and f.gain > 0
        assert 0 <= f.dark_score <= 255
        assert f.image.base is not None  # a view over the message bytes, not a copy


def test_frames_raw_gray8_scaled(client: PicamClient) -> None:
    (f,) = take(client.frames(encoding="raw", pixel_format="gray8", width=160), 1)
    assert f.image.shape == (120, 160)
    assert f.image.dtype == np.uint8
    assert (f.width, f.height) == (160, 120)
    # The server's dark score is the frame's mean luma.
    assert abs(float(f.image.mean()) - f.dark_score) < 10


def test_frames_jpeg_decoded(client: PicamClient) -> None:
    (f,) = take(client.frames(encoding="jpeg", quality=70, width=160), 1)
    assert f.encoding == pb.ENCODING_JPEG
    assert f.jpeg is not None and f.jpeg[:2] == b"\xff\xd8"
    assert f.image is not None
    assert f.image.shape == (120, 160, 3)
    assert f.image.dtype == np.uint8


def test_frames_jpeg_without_pillow_fails_clearly(client: PicamClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes `from PIL import Image` raise ImportError, as if Pillow were not installed.
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError, match=r"Pillow.*picam-client\[jpeg\].*decode_jpeg=False"):
        client.frames(encoding="jpeg", width=160)
    assert client.status().stream_subscribers == 0, "refused before the stream was opened"
    # A hand-built stream's frames fail the same way when decoded, instead of image=None.
    with client.raw_frames(pb.StreamFramesRequest(encoding=pb.ENCODING_JPEG, width=160)) as raw:
        response = next(raw)
    with pytest.raises(ImportError, match="Pillow"):
        Frame.from_response(response)
    # Asking for the encoded bytes only needs no Pillow.
    (f,) = take(client.frames(encoding="jpeg", width=160, decode_jpeg=False), 1)
    assert f.image is None and f.jpeg is not None and f.jpeg[:2] == b"\xff\xd8"


def test_frames_metadata_only(client: PicamClient) -> None:
    frames = take(client.frames(encoding="metadata"), 2)
    for f in frames:
        assert f.encoding == pb.ENCODING_METADATA_ONLY
        assert f.image is None and f.jpeg is None
        assert f.frame_id > 0
        assert (f.width, f.height) == (320, 240)


def test_frames_max_fps_reports_dropped(client: PicamClient) -> None:
    frames = take(client.frames(encoding="metadata", max_fps=5), 3)
    assert sum(f.dropped for f in frames[1:]) > 0


def test_frames_history(client: PicamClient) -> None:
    ring_holds(client, 15)
    newest = client.status().ring.newest_frame_id
    (f,) = take(client.frames(encoding="metadata", history_s=1.0), 1)
    assert f.frame_id < newest


def test_stream_cancelled_midway_releases_subscriber(client: PicamClient) -> None:
    it = client.frames(encoding="raw", pixel_format="gray8", width=160)
    for _ in range(3):
        next(it)
    assert client.status().stream_subscribers >= 1
    it.close()
    assert wait_for(lambda: client.status().stream_subscribers == 0, timeout=5.0), (
        "stream_subscribers did not drop to 0 after closing the iterator"
    )


def test_invalid_encoding_string_is_rejected_locally(client: PicamClient) -> None:
    with pytest.raises(ValueError):
        client.frames(encoding="png")


# --- GetNightState, GetStatus, Configure --------------------------------------


def test_night_state(client: PicamClient) -> None:
    ns = client.night_state()
    assert ns.enabled in (True, False)
    assert ns.dark_threshold > 0
    assert ns.min_dark_frames >= 1
    assert ns.exposure_us > 0
    assert ns.mode in ("slow_video", "still")
    assert ns.frames_per_second > 0


def test_status(client: PicamClient) -> None:
    st = client.status()
    assert st.serving
    assert st.version
    assert st.source.kind == "synthetic"
    assert (st.source.width, st.source.height) == (320, 240)
    assert st.ring.capacity_frames == 60
    assert st.stream_subscribers == 0


def test_configure_valid(client: PicamClient) -> None:
    before = client.night_state().dark_threshold
    new = before + 7.5
    resp = client.configure({"night.dark_threshold": new})
    assert "night.dark_threshold" in resp.applied_paths
    assert resp.config.night.dark_threshold == new
    assert not resp.persisted
    assert client.night_state().dark_threshold == new


def test_configure_nested_dict_and_validate_only(client: PicamClient) -> None:
    before = client.night_state().min_dark_frames
    resp = client.configure({"night": {"min_dark_frames": before + 3}}, validate_only=True)
    # Nothing applied. (The server returns the would-be config in resp.config.)
    assert list(resp.applied_paths) == []
    assert not resp.persisted
    assert client.night_state().min_dark_frames == before
    client.configure({"night": {"min_dark_frames": before + 3}})
    assert client.night_state().min_dark_frames == before + 3


def test_configure_repeated_field(client: PicamClient) -> None:
    resp = client.configure({"export.formats": ["png", "jpg"]})
    assert list(resp.config.export.formats) == ["png", "jpg"]


def test_configure_invalid(client: PicamClient) -> None:
    with pytest.raises(PicamError) as err:
        client.configure({"night.min_dark_frames": 0})
    assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.field == "night.min_dark_frames"
    assert err.value.message.startswith("night.min_dark_frames: ")
    assert client.night_state().min_dark_frames >= 1


def test_configure_unknown_path(client: PicamClient) -> None:
    with pytest.raises(PicamError) as err:
        client.configure({"night.no_such_field": 1})
    assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "night.no_such_field" in err.value.message


# --- WatchEvents ---------------------------------------------------------------


def test_events_see_pending_then_complete(client: PicamClient) -> None:
    received: queue.Queue = queue.Queue()
    events = client.events()  # returns once the subscription is live
    assert events.subscribed

    def pump() -> None:
        try:
            for ev in events:
                received.put(ev)
        except PicamError as err:
            received.put(err)

    t = threading.Thread(target=pump, daemon=True)
    t.start()
    resp = client.trigger(reason="watch", before_s=0.1, after_s=0.2)

    states: list[int] = []
    deadline = time.monotonic() + 10
    while pb.EVENT_STATE_COMPLETE not in states and time.monotonic() < deadline:
        try:
            ev = received.get(timeout=0.5)
        except queue.Empty:
            continue
        assert not isinstance(ev, Exception), ev
        assert ev.WhichOneof("kind") != "subscribed", "the subscribed message is not an event"
        if ev.WhichOneof("kind") == "event_progress" and ev.event_progress.event_id == resp.event_id:
            assert ev.HasField("time")
            states.append(ev.event_progress.state)
    events.close()  # from this thread, while the pump blocks in next()
    t.join(timeout=5)
    assert not t.is_alive(), "closing the stream did not end the pump's iteration"
    assert states, "no EventProgress for the trigger"
    assert states[0] == pb.EVENT_STATE_PENDING
    assert states[-1] == pb.EVENT_STATE_COMPLETE
    assert states.index(pb.EVENT_STATE_PENDING) < states.index(pb.EVENT_STATE_COMPLETE)


# --- ListEvents, GetEvent, DeleteEvent -----------------------------------------


def test_list_get_delete_event(client: PicamClient) -> None:
    first = client.trigger(reason="one", before_s=0.1, after_s=0.1, wait=True)
    second = client.trigger(reason="two", before_s=0.1, after_s=0.1, wait=True)

    page = client.list_events()
    ids = [e.event_id for e in page.events]
    assert ids[:2] == [second.event_id, first.event_id]  # newest first
    assert page.next_page_token == ""

    one = client.list_events(page_size=1)
    assert [e.event_id for e in one.events] == [second.event_id]
    assert one.next_page_token
    rest = client.list_events(page_size=1, page_token=one.next_page_token)
    assert [e.event_id for e in rest.events] == [first.event_id]
    assert [e.event_id for e in client.iter_events(page_size=1)] == [second.event_id, first.event_id]

    got = client.get_event(first.event_id)
    assert got.event.event_id == first.event_id
    assert got.event.trigger_source == "grpc"
    assert got.event.reason == "one"
    assert got.event.bytes > 0

    deleted = client.delete_event(first.event_id)
    assert deleted.bytes_freed == got.event.bytes
    assert not Path(first.dir).exists()

    with pytest.raises(PicamError) as err:
        client.get_event(first.event_id)
    assert err.value.code == grpc.StatusCode.NOT_FOUND
    assert [e.event_id for e in client.list_events().events] == [second.event_id]


def test_get_event_unknown_is_not_found(client: PicamClient) -> None:
    with pytest.raises(PicamError) as err:
        client.get_event("20000101T000000000Z-000000")
    assert err.value.code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT)


# --- Client behaviour ------------------------------------------------------------


def test_unreachable_server_raises_unavailable() -> None:
    with PicamClient("127.0.0.1:1", timeout=2.0) as c:
        with pytest.raises(PicamError) as err:
            c.status()
        assert err.value.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
        assert err.value.field is None
        # A watch that cannot become live says so instead of returning a silent stream.
        with pytest.raises(PicamError) as err:
            c.events()
        assert err.value.code == grpc.StatusCode.UNAVAILABLE


def test_version_is_single_sourced() -> None:
    # The installed distribution's version is read from picam_client/_version.py.
    assert picam_client.__version__ == importlib.metadata.version("picam-client")


def test_example_detector_triggers(service: PicamService) -> None:
    script = CLIENT_DIR / "examples" / "detector.py"
    out = subprocess.run(
        [sys.executable, str(script), "--address", service.address, "--threshold", "0",
         "--max-triggers", "1", "--duration", "10", "--fps", "15"],
        capture_output=True, text=True, timeout=30, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert out.returncode == 0, out.stderr
    assert "event " in out.stdout, out.stdout
    with PicamClient(service.address) as c:
        events = c.list_events().events
        assert len(events) == 1
        # The reason is in the manifest once the event is finished.
        done = wait_for(lambda: c.get_event(events[0].event_id).event.state != pb.EVENT_STATE_PENDING)
        assert done
        event = c.get_event(events[0].event_id).event
        assert event.state == pb.EVENT_STATE_COMPLETE
        assert event.reason.startswith("brightness")
