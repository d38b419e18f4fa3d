"""A thin, friendly wrapper around the generated picam.v1 CameraService stub.

Everything returns the generated protobuf messages, except :meth:`PicamClient.frames`,
which yields :class:`Frame` objects carrying the pixels as a numpy array.
Failed calls raise :class:`~picam_client.errors.PicamError` (a :class:`grpc.RpcError`
with ``code``, ``message`` and the offending ``field``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, TypeVar

import grpc
import numpy as np
from google.protobuf import field_mask_pb2

from picam_client.errors import PicamError
from picam_client.gen.picam.v1 import camera_pb2 as pb
from picam_client.gen.picam.v1 import camera_pb2_grpc as pb_grpc

T = TypeVar("T")

__all__ = ["PicamClient", "Frame", "Stream", "EventStream", "MAX_MESSAGE_BYTES", "DEFAULT_ADDRESS"]

#: Largest message the server sends (raw 1080p RGB is ~6 MB; the server allows 64 MiB).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
DEFAULT_ADDRESS = "localhost:50051"

_ENCODINGS = {
    "jpeg": pb.ENCODING_JPEG,
    "jpg": pb.ENCODING_JPEG,
    "raw": pb.ENCODING_RAW,
    "metadata": pb.ENCODING_METADATA_ONLY,
    "metadata_only": pb.ENCODING_METADATA_ONLY,
}
_PIXEL_FORMATS = {
    "rgb24": pb.PIXEL_FORMAT_RGB24,
    "rgb": pb.PIXEL_FORMAT_RGB24,
    "gray8": pb.PIXEL_FORMAT_GRAY8,
    "gray": pb.PIXEL_FORMAT_GRAY8,
    "yuv420": pb.PIXEL_FORMAT_YUV420,
    "i420": pb.PIXEL_FORMAT_YUV420,
}


def _enum(value: str | int, table: Mapping[str, int], what: str) -> int:
    if isinstance(value, int):
        return value
    try:
        return table[value.lower()]
    except KeyError:
        raise ValueError(f"unknown {what} {value!r}; expected one of {sorted(table)}") from None


def _to_datetime(ts) -> datetime:
    return ts.ToDatetime(tzinfo=timezone.utc)


def _pillow_image() -> Any:
    """PIL.Image, from the optional extra "jpeg"; a clear ImportError if it is not installed.

    Imported when first needed, not with the package: only JPEG decoding uses it.
    """
    try:
        from PIL import Image
    except ImportError as err:
        raise ImportError(
            "decoding JPEG frames needs Pillow, which is not installed: "
            "pip install 'picam-client[jpeg]', or pass decode_jpeg=False to get the "
            "encoded bytes in frame.jpeg (frame.image is then None)"
        ) from err
    return Image


@dataclass(frozen=True, slots=True)
class Frame:
    """One streamed frame: metadata plus the picture.

    ``image`` is a ``numpy.uint8`` array:

    * RAW rgb24: shape ``(height, width, 3)``; RAW gray8: ``(height, width)``;
      RAW yuv420 (I420): ``(height * 3 // 2, width)`` (Y plane then U, V), so
      ``cv2.cvtColor(image, cv2.COLOR_YUV2RGB_I420)`` works.
      These are zero-copy, read-only views of the received message bytes
      (``np.frombuffer``); call ``image.copy()`` to modify them.
    * JPEG: the decoded image (needs Pillow: ``pip install picam-client[jpeg]``;
      without it decoding raises ImportError), or ``None`` with ``decode_jpeg=False``;
      the encoded file is always in ``jpeg``.
    * metadata only: ``None``.
    """

    frame_id: int
    capture_time: datetime
    dark_score: float
    night: bool
    exposure_us: int
    gain: float
    width: int
    height: int
    dropped: int
    encoding: int
    pixel_format: int
    image: np.ndarray | None = field(repr=False)
    jpeg: bytes | None = field(default=None, repr=False)

    @property
    def encoding_name(self) -> str:
        return pb.Encoding.Name(self.encoding)

    @property
    def pixel_format_name(self) -> str:
        return pb.PixelFormat.Name(self.pixel_format)

    @classmethod
    def from_response(cls, resp: pb.StreamFramesResponse, decode_jpeg: bool = True) -> "Frame":
        f = resp.frame
        image: np.ndarray | None = None
        jpeg: bytes | None = None
        w, h = f.width, f.height
        if f.encoding == pb.ENCODING_RAW:
            buf = np.frombuffer(f.data, dtype=np.uint8)
            if f.pixel_format == pb.PIXEL_FORMAT_RGB24:
                image = buf.reshape(h, w, 3)
            elif f.pixel_format == pb.PIXEL_FORMAT_GRAY8:
                image = buf.reshape(h, w)
            elif f.pixel_format == pb.PIXEL_FORMAT_YUV420 and w % 2 == 0 and h % 2 == 0:
                image = buf.reshape(h * 3 // 2, w)
            else:
                image = buf
        elif f.encoding == pb.ENCODING_JPEG:
            jpeg = f.data
            if decode_jpeg:
                with _pillow_image().open(io.BytesIO(jpeg)) as im:
                    image = np.asarray(im)
        return cls(
            frame_id=f.frame_id,
            capture_time=_to_datetime(f.capture_time),
            dark_score=f.dark_score,
            night=f.night,
            exposure_us=f.exposure_us,
            gain=f.gain,
            width=w,
            height=h,
            dropped=resp.dropped,
            encoding=f.encoding,
            pixel_format=f.pixel_format,
            image=image,
            jpeg=jpeg,
        )


class Stream(Iterator[T]):
    """A server stream: iterate it; ``close()`` (alias ``cancel()``) cancels the call.

    ``close()`` may be called from another thread: an iteration blocked in that
    thread then ends quietly (StopIteration) instead of raising CANCELLED.
    Leaving a ``with`` block or dropping the last reference also cancels.
    A failed stream raises :class:`PicamError` from ``next()``.
    """

    def __init__(self, call: Any, convert: Callable[[Any], T] | None = None) -> None:
        self._call = call
        self._convert = convert
        self._closed = False

    @property
    def call(self) -> Any:
        """The underlying grpc call (for metadata, ``code()``, ``details()``)."""
        return self._call

    @property
    def closed(self) -> bool:
        return self._closed

    def __iter__(self) -> "Stream[T]":
        return self

    def __next__(self) -> T:
        resp = self._receive()
        return self._convert(resp) if self._convert is not None else resp

    def _receive(self) -> Any:
        """The next message of the call, unconverted."""
        if self._closed:
            raise StopIteration
        try:
            return next(self._call)
        except grpc.RpcError as err:
            if self._closed and err.code() == grpc.StatusCode.CANCELLED:
                raise StopIteration from None
            raise PicamError.from_rpc_error(err) from err
        except StopIteration:
            self._closed = True
            raise

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._call.cancel()

    cancel = close

    def __enter__(self) -> "Stream[T]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown, channel already closed
            pass


class EventStream(Stream[pb.WatchEventsResponse]):
    """A WatchEvents stream that knows when its subscription is live.

    The server opens every WatchEvents stream with a ``subscribed`` message once
    it has registered the call: :meth:`wait_subscribed` blocks until then, after
    which everything that happens is delivered. Iteration never yields that
    message, only night transitions and event progress.
    """

    def __init__(self, call: Any) -> None:
        super().__init__(call)
        self._subscribed = False
        self._early: pb.WatchEventsResponse | None = None

    @property
    def subscribed(self) -> bool:
        """True once the server has said the subscription is live."""
        return self._subscribed

    def wait_subscribed(self) -> None:
        """Block until the subscription is live (at once if it already is).

        Raises :class:`PicamError` if the call fails first (e.g. UNAVAILABLE).
        """
        if self._subscribed:
            return
        try:
            first = self._receive()
        except StopIteration:
            raise PicamError(
                grpc.StatusCode.UNAVAILABLE, "WatchEvents ended before the subscription was live"
            ) from None
        self._subscribed = True
        if first.WhichOneof("kind") != "subscribed":
            # A server older than the subscribed message: its first message is an event.
            self._early = first

    def __next__(self) -> pb.WatchEventsResponse:
        self.wait_subscribed()
        if self._early is not None:
            early, self._early = self._early, None
            return early
        return self._receive()


class PicamClient:
    """Client for one picam service.

    >>> with PicamClient("127.0.0.1:50051") as cam:
    ...     print(cam.trigger(reason="door opened").event_id)

    ``timeout`` is the deadline in seconds for unary calls (``None`` = no
    deadline); streams have no deadline. Each method also takes ``timeout=``.
    Failed calls raise :class:`PicamError` (``code``, ``message``, ``field``).
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        timeout: float | None = 10.0,
        *,
        credentials: grpc.ChannelCredentials | None = None,
        options: Iterable[tuple[str, Any]] = (),
    ) -> None:
        self.address = address
        self.timeout = timeout
        opts = {
            "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
            "grpc.max_send_message_length": 4 * 1024 * 1024,
            # Ping an idle-looking connection so a vanished camera is noticed.
            "grpc.keepalive_time_ms": 30_000,
            "grpc.keepalive_timeout_ms": 10_000,
            "grpc.keepalive_permit_without_calls": 0,
            "grpc.http2.max_pings_without_data": 0,
        }
        opts.update(dict(options))
        channel_options = list(opts.items())
        if credentials is None:
            self._channel = grpc.insecure_channel(address, options=channel_options)
        else:
            self._channel = grpc.secure_channel(address, credentials, options=channel_options)
        self.stub = pb_grpc.CameraServiceStub(self._channel)

    # -- lifecycle -----------------------------------------------------------

    @property
    def channel(self) -> grpc.Channel:
        return self._channel

    def wait_ready(self, timeout: float | None = None) -> None:
        """Block until the channel is connected (raises grpc.FutureTimeoutError)."""
        grpc.channel_ready_future(self._channel).result(
            timeout=self.timeout if timeout is None else timeout
        )

    def close(self) -> None:
        """Close the channel; streams still open are cancelled."""
        self._channel.close()

    def __enter__(self) -> "PicamClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _t(self, timeout: float | None | type[...]) -> float | None:
        return self.timeout if timeout is ... else timeout

    @staticmethod
    def _unary(method: Callable[..., T], request: Any, timeout: float | None) -> T:
        try:
            return method(request, timeout=timeout)
        except grpc.RpcError as err:
            raise PicamError.from_rpc_error(err) from err

    # -- RPCs ----------------------------------------------------------------

    def trigger(
        self,
        reason: str = "",
        before_s: float | None = None,
        after_s: float | None = None,
        formats: Iterable[str] | None = None,
        label: str = "",
        stack: bool | None = None,
        wait: bool = False,
        *,
        timeout: float | None = ...,  # type: ignore[assignment]
    ) -> pb.TriggerResponse:
        """Save the frames around now as a new event; returns the TriggerResponse.

        Unset arguments take the service's ``export`` configuration. With
        ``wait=True`` the call returns once the event is complete, partial or
        failed (``response.state``); its default deadline then also covers
        ``after_s`` plus a minute for writing.
        """
        req = pb.TriggerRequest(reason=reason, label=label, wait=wait)
        if before_s is not None:
            req.before_s = before_s
        if after_s is not None:
            req.after_s = after_s
        if formats:
            req.formats.extend(formats)
        if stack is not None:
            req.stack = stack
        if timeout is ...:
            timeout = self.timeout
            if wait and timeout is not None:
                timeout += (after_s or 0.0) + 60.0
        return self._unary(self.stub.Trigger, req, timeout=timeout)

    def frames(
        self,
        encoding: str | int = "raw",
        max_fps: float = 0,
        width: int = 0,
        height: int = 0,
        quality: int | None = None,
        pixel_format: str | int = "rgb24",
        history_s: float | None = None,
        *,
        decode_jpeg: bool = True,
        timeout: float | None = None,
    ) -> Stream[Frame]:
        """Stream live frames as :class:`Frame` objects.

        ``encoding`` is "raw", "jpeg" or "metadata"; ``pixel_format`` ("rgb24",
        "gray8", "yuv420") applies to raw. ``width``/``height`` of 0 keep the
        camera size (or follow the other one keeping the aspect ratio).
        Returns a :class:`Stream`: ``close()`` it (or use it in a ``with``
        block, or drop it) to cancel the stream on the server.

        JPEG frames are decoded with Pillow (the extra ``jpeg``); without it
        this raises ImportError before calling, unless ``decode_jpeg=False``.
        """
        enc = _enum(encoding, _ENCODINGS, "encoding")
        if enc == pb.ENCODING_JPEG and decode_jpeg:
            _pillow_image()  # fail here, not on the first frame
        req = pb.StreamFramesRequest(encoding=enc, max_fps=max_fps, width=width, height=height)
        if enc == pb.ENCODING_RAW:
            req.pixel_format = _enum(pixel_format, _PIXEL_FORMATS, "pixel_format")
        if quality is not None:
            req.quality = quality
        if history_s is not None:
            req.history_s = history_s
        call = self.stub.StreamFrames(req, timeout=timeout)
        return Stream(call, lambda resp: Frame.from_response(resp, decode_jpeg))

    def raw_frames(self, request: pb.StreamFramesRequest, *, timeout: float | None = None
                   ) -> Stream[pb.StreamFramesResponse]:
        """Stream the raw StreamFramesResponse messages for a hand-built request."""
        return Stream(self.stub.StreamFrames(request, timeout=timeout))

    def night_state(self, *, timeout: float | None = ...) -> pb.GetNightStateResponse:  # type: ignore[assignment]
        return self._unary(self.stub.GetNightState, pb.GetNightStateRequest(), timeout=self._t(timeout))

    def status(self, *, timeout: float | None = ...) -> pb.GetStatusResponse:  # type: ignore[assignment]
        return self._unary(self.stub.GetStatus, pb.GetStatusRequest(), timeout=self._t(timeout))

    def configure(
        self,
        updates: Mapping[str, Any],
        validate_only: bool = False,
        persist: bool = False,
        *,
        timeout: float | None = ...,  # type: ignore[assignment]
    ) -> pb.ConfigureResponse:
        """Apply a partial configuration update.

        ``updates`` maps config.json paths to values, e.g.
        ``{"night.dark_threshold": 40, "export.formats": ["jpg"]}``; nested
        dicts are flattened (``{"night": {"dark_threshold": 40}}``). A value of
        ``None`` resets that field to its default. Returns the effective config.
        """
        config = pb.Config()
        paths: list[str] = []
        for path, value in _flatten(updates):
            paths.append(path)
            if value is not None:
                _set_path(config, path, value)
        req = pb.ConfigureRequest(
            config=config,
            update_mask=field_mask_pb2.FieldMask(paths=paths),
            validate_only=validate_only,
            persist=persist,
        )
        return self._unary(self.stub.Configure, req, timeout=self._t(timeout))

    def events(self, *, wait_subscribed: bool = True, timeout: float | None = None) -> EventStream:
        """Stream service events (night transitions, trigger progress).

        Returns once the subscription is live (the server's ``subscribed``
        message), so anything triggered afterwards is seen: no need to sleep
        before acting. ``wait_subscribed=False`` returns at once; call
        :meth:`EventStream.wait_subscribed` later. Use
        ``resp.WhichOneof("kind")`` -> "night_transition" | "event_progress".
        Closing the iterator cancels the stream.
        """
        events = EventStream(self.stub.WatchEvents(pb.WatchEventsRequest(), timeout=timeout))
        if wait_subscribed:
            try:
                events.wait_subscribed()
            except BaseException:
                events.close()
                raise
        return events

    def list_events(
        self, page_size: int = 50, page_token: str = "", *, timeout: float | None = ...  # type: ignore[assignment]
    ) -> pb.ListEventsResponse:
        """One page of saved events, newest first (``next_page_token`` for more)."""
        return self._unary(
            self.stub.ListEvents,
            pb.ListEventsRequest(page_size=page_size, page_token=page_token),
            timeout=self._t(timeout),
        )

    def iter_events(self, page_size: int = 100) -> Iterator[pb.Event]:
        """Every saved event, newest first, following page tokens."""
        token = ""
        while True:
            page = self.list_events(page_size=page_size, page_token=token)
            yield from page.events
            token = page.next_page_token
            if not token:
                return

    def get_event(self, event_id: str, *, timeout: float | None = ...) -> pb.GetEventResponse:  # type: ignore[assignment]
        return self._unary(self.stub.GetEvent, pb.GetEventRequest(event_id=event_id), timeout=self._t(timeout))

    def delete_event(self, event_id: str, *, timeout: float | None = ...) -> pb.DeleteEventResponse:  # type: ignore[assignment]
        return self._unary(
            self.stub.DeleteEvent, pb.DeleteEventRequest(event_id=event_id), timeout=self._t(timeout)
        )


def _flatten(updates: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in updates.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, path + ".")
        else:
            yield path, value


def _set_path(config: pb.Config, path: str, value: Any) -> None:
    """Set ``config.<path>`` = value. Unknown paths are left for the server to reject."""
    *parents, name = path.split(".")
    msg = config
    for part in parents:
        if part not in msg.DESCRIPTOR.fields_by_name:
            return
        msg = getattr(msg, part)
    fd = msg.DESCRIPTOR.fields_by_name.get(name)
    if fd is None or fd.message_type is not None:
        return
    repeated = fd.is_repeated if hasattr(fd, "is_repeated") else fd.label == fd.LABEL_REPEATED
    if repeated:
        if isinstance(value, (str, bytes)):
            value = [value]
        container = getattr(msg, name)
        del container[:]
        container.extend(value)
    else:
        setattr(msg, name, value)
