"""The one error type picam_client raises for failed calls.

The server names the offending field of a bad request in the standard rich
error details (``google.rpc.Status`` in the ``grpc-status-details-bin``
trailer, holding a ``google.rpc.BadRequest``); :class:`PicamError` decodes
them with grpcio-status, so a caller can point at the input without parsing
the message.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

__all__ = ["FieldViolation", "PicamError"]


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One offending field: its request or config path, and why."""

    field: str
    description: str


class PicamError(grpc.RpcError):
    """A failed call.

    ``code`` is the :class:`grpc.StatusCode`, ``message`` the server's
    message, ``field`` the first offending field it named (``None`` if the
    error names none) and ``field_violations`` all of them. Subclasses
    :class:`grpc.RpcError`, so ``except grpc.RpcError`` still catches it;
    unlike a raw grpc call error its ``code`` and ``message`` are attributes,
    not methods. The original error is ``__cause__``.
    """

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        field_violations: tuple[FieldViolation, ...] = (),
    ) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.field_violations = field_violations
        self.field = field_violations[0].field if field_violations else None

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> "PicamError":
        """The typed form of an error raised by a grpc call (or by iterating a stream)."""
        if isinstance(error, PicamError):
            return error
        code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
        message = (error.details() if isinstance(error, grpc.Call) else None) or str(error)
        return cls(code, message, _field_violations(error))


def _field_violations(error: grpc.RpcError) -> tuple[FieldViolation, ...]:
    if not isinstance(error, grpc.Call):
        return ()
    try:
        status = rpc_status.from_call(error)
    except ValueError:  # a trailer that disagrees with the status: keep the status, drop the details
        return ()
    if status is None:
        return ()
    violations: list[FieldViolation] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            violations.extend(FieldViolation(v.field, v.description) for v in bad_request.field_violations)
    return tuple(violations)
