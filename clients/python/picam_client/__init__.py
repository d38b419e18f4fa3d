"""Python client for the picam camera service (gRPC API picam.v1).

    from picam_client import PicamClient
    with PicamClient("127.0.0.1:50051") as cam:
        print(cam.trigger(reason="motion").event_id)

The generated messages and stub are in ``picam_client.gen.picam.v1``
(``camera_pb2``, ``camera_pb2_grpc``), re-exported here as ``pb`` and ``pb_grpc``.
Failed calls raise :class:`PicamError` (``code``, ``message``, ``field``).
"""

from picam_client._version import __version__
from picam_client.client import DEFAULT_ADDRESS, MAX_MESSAGE_BYTES, EventStream, Frame, PicamClient, Stream
from picam_client.errors import FieldViolation, PicamError
from picam_client.gen.picam.v1 import camera_pb2 as pb
from picam_client.gen.picam.v1 import camera_pb2_grpc as pb_grpc

__all__ = [
    "DEFAULT_ADDRESS",
    "MAX_MESSAGE_BYTES",
    "EventStream",
    "FieldViolation",
    "Frame",
    "PicamClient",
    "PicamError",
    "Stream",
    "pb",
    "pb_grpc",
    "__version__",
]
