"""Typed exceptions raised by :mod:`swiftkd`.

Every exception the package raises on purpose derives from :class:`SwiftKDError`. Failures that carry an
NTSTATUS (a refused hello, a failed request, a GOODBYE from the server) expose it as ``status`` and show it as
``0xXXXXXXXX NAME``.
"""

from __future__ import annotations

from typing import Optional, Union

__all__ = [
    "SwiftKDError",
    "ConnectError",
    "FingerprintMismatchError",
    "ProtocolError",
    "HelloRefusedError",
    "SessionClosedError",
    "NtStatusError",
    "MemoryReadError",
    "MemoryWriteError",
    "RefusedError",
    "BreakTimeoutError",
    "RequestTimeoutError",
    "SymbolNotFoundError",
    "KdError",
    "format_status",
]


def format_status(status: int) -> str:
    """Return ``0xXXXXXXXX`` followed by the NTSTATUS name when it is one docs/PROTOCOL.md lists."""
    from .protocol import STATUS_NAMES  # late import: protocol imports this module

    name = STATUS_NAMES.get(status)
    return f"0x{status:08X}" + (f" {name}" if name else "")


class SwiftKDError(Exception):
    """Base class of every error raised by swiftkd."""


class ConnectError(SwiftKDError):
    """The TCP connection or the TLS handshake failed, or the link broke before the HELLO_REPLY."""


class FingerprintMismatchError(ConnectError):
    """The server's certificate does not have the pinned SHA-256 fingerprint."""

    def __init__(self, expected: str, found: str) -> None:
        self.expected = expected
        self.found = found
        super().__init__(f"server certificate fingerprint mismatch: expected {expected}, found {found}")


class ProtocolError(SwiftKDError):
    """The server sent bytes that are not this protocol.

    ``offset`` counts from the first byte of the frame (header included), as docs/PROTOCOL.md section 13 does;
    ``expected`` and ``found`` say what the decoder wanted and what it got (either may be ``None``).
    """

    def __init__(
        self,
        message: str,
        offset: Optional[int] = None,
        expected: Union[int, str, None] = None,
        found: Union[int, str, None] = None,
    ) -> None:
        self.offset = offset
        self.expected = expected
        self.found = found
        text = message
        if offset is not None:
            text += f" at offset {offset}"
        parts = []
        if expected is not None:
            parts.append(f"expected {_show(expected)}")
        if found is not None:
            parts.append(f"found {_show(found)}")
        if parts:
            text += ": " + ", ".join(parts)
        super().__init__(text)


def _show(value: Union[int, str]) -> str:
    return f"0x{value:x}" if isinstance(value, int) else value


class HelloRefusedError(ConnectError):
    """The server refused the HELLO (wrong token, controller role taken, quota, version): its status and reason."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"hello refused: {format_status(status)}" + (f": {reason}" if reason else ""))


class SessionClosedError(SwiftKDError):
    """The session is over: the server sent GOODBYE (``status``, ``reason``) or the connection closed.

    ``status`` is ``None`` when the link closed without a GOODBYE.
    """

    def __init__(self, status: Optional[int], reason: str) -> None:
        self.status = status
        self.reason = reason
        head = "session closed" if status is None else f"session closed by the server: {format_status(status)}"
        super().__init__(head + (f": {reason}" if reason else ""))


class NtStatusError(SwiftKDError):
    """A request was answered with a failure NTSTATUS (``status``); ``operation`` names the request."""

    def __init__(self, operation: str, status: int, detail: str = "") -> None:
        self.operation = operation
        self.status = status
        super().__init__(f"{operation} failed: {format_status(status)}" + (f" ({detail})" if detail else ""))


class MemoryReadError(NtStatusError):
    """A read returned fewer bytes than asked.

    ``data`` holds the bytes that were read (from ``address``); the first unreadable byte is at
    ``address + len(data)``. ``status`` is the reply's (STATUS_PARTIAL_COPY or STATUS_ACCESS_VIOLATION).
    """

    def __init__(self, address: int, requested: int, data: bytes, status: int) -> None:
        self.address = address
        self.requested = requested
        self.data = data
        super().__init__(
            "ReadVirtualMemory",
            status,
            f"read {len(data)} of {requested} bytes at 0x{address:08x}; first unread byte at 0x{address + len(data):08x}",
        )


class MemoryWriteError(NtStatusError):
    """A write stored fewer bytes than given; ``written`` bytes from ``address`` were stored."""

    def __init__(self, address: int, requested: int, written: int, status: int) -> None:
        self.address = address
        self.requested = requested
        self.written = written
        super().__init__(
            "WriteVirtualMemory", status, f"wrote {written} of {requested} bytes at 0x{address:08x}"
        )


class RefusedError(SwiftKDError):
    """The server answered a packet with REFUSED (e.g. a break-in from an observer, or on a halted target)."""

    def __init__(self, status: int, packet_type: int) -> None:
        self.status = status
        self.packet_type = packet_type
        what = "break-in" if packet_type == 0 else f"packet type 0x{packet_type:x}"
        super().__init__(f"{what} refused: {format_status(status)}")


class BreakTimeoutError(SwiftKDError, TimeoutError):
    """No break event arrived within the timeout."""


class RequestTimeoutError(SwiftKDError, TimeoutError):
    """A reply did not arrive in time; the session is closed, since replies can no longer be matched."""


class SymbolNotFoundError(SwiftKDError, LookupError):
    """No module or symbol has that name."""


class KdError(SwiftKDError):
    """The ``kd`` subprocess failed: its exit status (69 unreachable, 75 timeout, ...: docs/COMMANDS.md) and its stderr."""

    def __init__(self, message: str, returncode: Optional[int] = None, stderr: str = "") -> None:
        self.returncode = returncode
        self.stderr = stderr
        super().__init__(message + (f": {stderr.strip()}" if stderr.strip() else ""))
