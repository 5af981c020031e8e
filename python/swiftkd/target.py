"""A session with a kdserver: :func:`connect` and :class:`Target`.

The session is synchronous: each call sends its request(s) and reads frames until the reply (or the break)
it wants, queueing the events that arrive meanwhile. Reads and writes larger than one frame are pipelined
within the window the server grants. A lock makes a Target safe to share between threads (calls run one at
a time).
"""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Tuple, Union

from . import protocol as p
from .errors import (
    BreakTimeoutError,
    ConnectError,
    FingerprintMismatchError,
    HelloRefusedError,
    MemoryReadError,
    MemoryWriteError,
    NtStatusError,
    ProtocolError,
    RefusedError,
    RequestTimeoutError,
    SessionClosedError,
    SymbolNotFoundError,
)
from .events import BreakEvent, DebugOutput, Registers, RunningEvent, StackFrame, StateChange
from .records import MemoryRegion, Module, Symbol, Thread, Version

__all__ = ["connect", "Target", "parse_fingerprint", "read_token_file"]

_MAX_IN_FLIGHT = 64  # we keep at most this many requests unanswered, within the server's Window
_LIST_PAGE = 4096
BREAK_REASON_BREAK_IN = 2  # section 9.2


def parse_fingerprint(text: str) -> bytes:
    """The 32 bytes of a SHA-256 fingerprint written ``SHA256:AB:CD:...`` (as kdserver prints it) or as hex."""
    body = text.strip()
    if body.upper().startswith("SHA256:"):
        body = body[7:]
    digits = body.replace(":", "")
    if not re.fullmatch(r"[0-9A-Fa-f]{64}", digits):
        raise ValueError(f"fingerprint {text!r} is not 32 hex bytes (SHA256:AB:CD:...)")
    return bytes.fromhex(digits)


def _format_fingerprint(digest: bytes) -> str:
    return "SHA256:" + ":".join(f"{b:02X}" for b in digest)


def read_token_file(path: Union[str, Path]) -> bytes:
    """A token file's bytes without surrounding whitespace (space, tab, CR, LF), as the server compares them."""
    token = Path(path).read_bytes().strip(b" \t\r\n")
    if len(token) > p.MAX_NAME_OR_TOKEN:
        raise ValueError(f"token in {path} is {len(token)} bytes; a HELLO carries at most 256")
    return token


def connect(
    host: str,
    port: int,
    fingerprint: Optional[str] = None,
    token: Union[str, bytes, None] = None,
    token_file: Union[str, Path, None] = None,
    cafile: Union[str, Path, None] = None,
    certfile: Union[str, Path, None] = None,
    keyfile: Union[str, Path, None] = None,
    *,
    controller: bool = True,
    break_on_attach: bool = False,
    client_name: str = "swiftkd (python)",
    max_payload: int = 0,
    break_frames: int = 0,
    timeout: float = 10.0,
    request_timeout: float = 60.0,
    allow_tls12: bool = False,
) -> "Target":
    """Attach to a kdserver over TLS and return the session.

    The server is verified by its pinned SHA-256 ``fingerprint`` (kdserver prints it on its first stderr
    line) or by ``cafile`` (then the certificate's names must fit ``host``); one of them is required.
    ``token``/``token_file`` authenticate to a server run with ``--token-file``; ``certfile``/``keyfile``
    present a client certificate (mutual TLS). ``controller=False`` attaches as a read-only observer;
    ``break_on_attach`` (KD's ``-b``) halts a running target right after the hello, and the break arrives
    as an event (:meth:`Target.wait_break`).

    Raises :class:`~swiftkd.errors.FingerprintMismatchError`, :class:`~swiftkd.errors.HelloRefusedError`
    (wrong or missing token, controller role taken, quotas), :class:`~swiftkd.errors.ConnectError` (TCP or
    TLS failure, including a client certificate the server refuses) or
    :class:`~swiftkd.errors.ProtocolError`.
    """
    if fingerprint is None and cafile is None:
        raise ValueError("give the server's fingerprint or a cafile to verify it")
    pinned = parse_fingerprint(fingerprint) if fingerprint is not None else None
    if token is not None and token_file is not None:
        raise ValueError("give token or token_file, not both")
    if token_file is not None:
        token_bytes = read_token_file(token_file)
    elif isinstance(token, str):
        token_bytes = token.strip(" \t\r\n").encode("utf-8")
    else:
        token_bytes = (token or b"").strip(b" \t\r\n")
    flags = (p.HELLO_WANT_CONTROLLER if controller else 0) | (p.HELLO_BREAK_ON_ATTACH if break_on_attach else 0)
    hello = p.encode_hello(flags, max_payload, break_frames, client_name, token_bytes)

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2 if allow_tls12 else ssl.TLSVersion.TLSv1_3
    if cafile is not None:
        context.load_verify_locations(cafile=str(cafile))
        context.check_hostname = pinned is None
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # verified below by the pinned fingerprint
    if certfile is not None:
        context.load_cert_chain(str(certfile), str(keyfile) if keyfile is not None else None)

    try:
        raw = socket.create_connection((host, port), timeout=timeout)
    except OSError as error:
        raise ConnectError(f"cannot connect to {host}:{port}: {error}") from error
    try:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tls = context.wrap_socket(raw, server_hostname=host)
    except (ssl.SSLError, OSError) as error:
        raw.close()
        raise ConnectError(f"TLS handshake with {host}:{port} failed: {error}") from error
    try:
        if pinned is not None:
            der = tls.getpeercert(binary_form=True) or b""
            found = hashlib.sha256(der).digest()
            if found != pinned:
                raise FingerprintMismatchError(_format_fingerprint(pinned), _format_fingerprint(found))
        return Target._attach(tls, hello, timeout, request_timeout)
    except BaseException:
        tls.close()
        raise


class Target:
    """One session with the target. Create it with :func:`connect`; use it as a context manager to send
    GOODBYE and close on exit.

    Session facts from the HELLO_REPLY: :attr:`role` (``controller`` or ``observer``), :attr:`session_id`,
    :attr:`server_name`, :attr:`max_payload`, :attr:`window`, :attr:`break_stack_frames`.
    """

    def __init__(self, sock: ssl.SSLSocket, reply: p.HelloReply, decoder: p.FrameDecoder, request_timeout: float) -> None:
        self._sock = sock
        self._decoder = decoder
        self._lock = threading.RLock()
        self._next_id = 2  # the HELLO was 1
        self._events: Deque[StateChange] = deque()
        self._output: Deque[DebugOutput] = deque(maxlen=10000)
        self._breakin_refusals: Deque[int] = deque()
        self._breakin_pending = False
        self._swallow_breakin_refusal = False
        self._breakin_mark = 0
        self._closed: Optional[SessionClosedError] = None
        self._version: Optional[Version] = None
        self._modules: Optional[List[Module]] = None
        self._symbols: Dict[Tuple[int, int, str], List[Symbol]] = {}
        self.request_timeout = request_timeout
        self.role: str = p.ROLE_NAMES[reply.role]
        self.session_id: int = reply.session_id
        self.server_name: str = reply.server_name
        self.max_payload: int = reply.max_payload
        self.window: int = reply.window
        self.break_stack_frames: int = reply.break_stack_frames
        self.takeover_allowed: bool = bool(reply.flags & p.REPLY_TAKEOVER_ALLOWED)
        self._halted = reply.target_state == p.TARGET_HALTED
        self._current_break: Optional[BreakEvent] = (
            reply.break_event if isinstance(reply.break_event, BreakEvent) else None
        )

    # --- attaching and closing --------------------------------------------------------------------------

    @classmethod
    def _attach(cls, sock: ssl.SSLSocket, hello: bytes, timeout: float, request_timeout: float) -> "Target":
        decoder = p.FrameDecoder()
        try:
            sock.sendall(p.encode_data(p.HELLO, 1, hello))
        except OSError as error:
            # A server that refused our certificate has sent its TLS alert and closed; the write may fail first
            # (EOF, reset). The alert is still in the socket: read it, so the error says why.
            raise ConnectError(f"sending the HELLO failed: {_pending_alert(sock) or error}") from error
        deadline = time.monotonic() + timeout
        frame = _read_frame_before_session(sock, decoder, deadline)
        if frame.leader == p.LEADER_DATA and frame.packet_type == p.GOODBYE:
            status, reason = p.decode_goodbye(frame.payload)
            raise HelloRefusedError(status, reason)
        if frame.leader != p.LEADER_DATA or frame.packet_type != p.HELLO_REPLY:
            raise ProtocolError("first frame is not a HELLO_REPLY", 4, p.HELLO_REPLY, frame.packet_type)
        if frame.packet_id != 1:
            raise ProtocolError("HELLO_REPLY PacketId", 8, 1, frame.packet_id)
        reply = p.decode_hello_reply(frame.payload)
        if reply.status != p.STATUS_SUCCESS or reply.role == p.ROLE_NONE:
            reason = ""
            try:  # the refusal's reason comes in the GOODBYE that follows (6.4)
                goodbye = _read_frame_before_session(sock, decoder, time.monotonic() + 2.0)
                if goodbye.leader == p.LEADER_DATA and goodbye.packet_type == p.GOODBYE:
                    reason = p.decode_goodbye(goodbye.payload)[1]
            except (ConnectError, ProtocolError):
                pass
            raise HelloRefusedError(reply.status, reason)
        if reply.major != p.PROTOCOL_MAJOR:
            raise ProtocolError("HELLO_REPLY ProtocolMajor", 16, p.PROTOCOL_MAJOR, reply.major)
        decoder.max_payload = reply.max_payload
        return cls(sock, reply, decoder, request_timeout)

    def __enter__(self) -> "Target":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """Whether the session is over (closed by us, by a GOODBYE from the server, or by a broken link)."""
        return self._closed is not None

    def close(self, reason: str = "client closing") -> None:
        """Send GOODBYE (STATUS_SUCCESS) and close the connection; the target keeps its state. Idempotent."""
        with self._lock:
            if self._closed is not None:
                return
            self._closed = SessionClosedError(p.STATUS_SUCCESS, "closed by this client")
            try:
                self._sock.sendall(p.encode_data(p.GOODBYE, self._take_id(), p.encode_goodbye(p.STATUS_SUCCESS, reason)))
                # The server closes on GOODBYE without answering: read to its close so nothing is reset.
                self._sock.settimeout(2.0)
                while self._sock.recv(65536):
                    pass
            except (OSError, ValueError):
                pass
            finally:
                self._sock.close()

    # --- state --------------------------------------------------------------------------------------------

    @property
    def halted(self) -> bool:
        """Whether the target is halted, as the server last reported (HELLO_REPLY or state change)."""
        return self._halted

    @property
    def current_break(self) -> Optional[BreakEvent]:
        """The break the target is halted in (from the HELLO_REPLY or the last break event), else None."""
        return self._current_break

    def take_output(self) -> List[DebugOutput]:
        """The DbgPrint output received so far (and not taken before); the last 10000 prints are kept."""
        with self._lock:
            out = list(self._output)
            self._output.clear()
            return out

    # --- execution control --------------------------------------------------------------------------------

    def break_in(self, wait: bool = True, timeout: float = 10.0) -> Optional[BreakEvent]:
        """Halt a running target (the 16-byte break-in packet); controller only.

        With ``wait`` (the default) return the break event. Raises :class:`~swiftkd.errors.RefusedError`
        with STATUS_INVALID_DEVICE_STATE when the target is already halted, or STATUS_PRIVILEGE_NOT_HELD
        from an observer. Without ``wait`` return None; the break (or the refusal) comes in
        :meth:`wait_break`.
        """
        with self._lock:
            self._check_open()
            self._send(p.BREAK_IN_PACKET)
            self._breakin_pending = True
            self._breakin_mark = self._next_id
            self._drop_queued(BreakEvent)
            return self.wait_break(timeout) if wait else None

    def go(self) -> None:
        """Resume the halted target (Continue); controller only. Break events received before the reply are
        discarded, so the next :meth:`wait_break` returns a break that follows this resume."""
        with self._lock:
            self._check_status(self._request(p.continue_request(trace=False)))
            self._resumed()

    def step(self, timeout: float = 10.0) -> BreakEvent:
        """Execute one instruction of the current thread (Continue2, TraceFlag 1) and return the break that
        follows (BreakReason 3 singleStep, code 0x80000004)."""
        with self._lock:
            self._check_status(self._request(p.continue_request(trace=True)))
            self._resumed()
            return self.wait_break(timeout)

    def wait_break(self, timeout: float = 30.0) -> BreakEvent:
        """The next break event (queued or arriving within ``timeout`` seconds).

        Raises :class:`~swiftkd.errors.BreakTimeoutError` when none comes, and
        :class:`~swiftkd.errors.RefusedError` for a refused break-in.
        """
        with self._lock:
            deadline = time.monotonic() + timeout
            while True:
                while self._events:
                    event = self._events.popleft()
                    if isinstance(event, BreakEvent):
                        return event
                if self._breakin_refusals:
                    raise RefusedError(self._breakin_refusals.popleft(), p.KD_UNUSED)
                self._check_open()
                frame = self._recv_frame(deadline)
                if frame is None:
                    raise BreakTimeoutError(f"no break within {timeout:g} s")
                reply = self._dispatch(frame)
                if reply is not None:
                    self._fail(ProtocolError("reply with no request outstanding", 8, None, reply.packet_id))

    def reboot(self) -> None:
        """Reboot the target from its scenario (served halted or running; the way out of a bug check)."""
        with self._lock:
            self._check_status(self._request(p.encode_manipulate(p.API_REBOOT)))
            self._resumed()
            self._modules = None
            self._symbols.clear()

    def set_breakpoint(self, address: int) -> int:
        """Set a software breakpoint; return its handle (controller only)."""
        return p.decode_breakpoint(self._checked(p.breakpoint_request(address)))

    def remove_breakpoint(self, handle: int) -> None:
        """Remove the breakpoint with this handle (controller only)."""
        self._checked(p.thread_request(p.API_RESTORE_BREAKPOINT, handle))

    # --- memory -----------------------------------------------------------------------------------------

    def read(self, address: int, size: int) -> bytes:
        """``size`` bytes of virtual memory at ``address``.

        A short read raises :class:`~swiftkd.errors.MemoryReadError` with the reply's NTSTATUS
        (STATUS_PARTIAL_COPY, STATUS_ACCESS_VIOLATION) and the bytes read before the first unreadable one.
        """
        if size < 0:
            raise ValueError("size must be >= 0")
        chunks = self._chunks(address, size)
        replies = self._transact([p.read_request(a, n) for a, n in chunks])
        out = bytearray()
        for (chunk_address, count), reply in zip(chunks, replies):
            data = p.decode_read(reply)
            if reply.status == p.STATUS_SUCCESS and len(data) != count:
                raise self._fail(ProtocolError("ActualBytesRead of a STATUS_SUCCESS read", 44, count, len(data)))
            out += data
            if reply.status != p.STATUS_SUCCESS:
                raise MemoryReadError(address, size, bytes(out), reply.status)
        return bytes(out)

    def write(self, address: int, data: bytes) -> None:
        """Write ``data`` at ``address`` (controller only); a short write raises
        :class:`~swiftkd.errors.MemoryWriteError` with the NTSTATUS and the bytes written."""
        chunks = self._chunks(address, len(data))
        requests = [p.write_request(a, data[a - address : a - address + n]) for a, n in chunks]
        written = 0
        for (_, count), reply in zip(chunks, self._transact(requests)):
            done = p.decode_write(reply)
            written += min(done, count)
            if reply.status != p.STATUS_SUCCESS or done != count:
                raise MemoryWriteError(address, len(data), written, reply.status)

    def search(self, start: int, length: int, pattern: bytes) -> Optional[int]:
        """The first address in ``[start, start + length)`` where ``pattern`` (1 ... 256 bytes) occurs, or None.

        Unmapped pages are skipped by the server.
        """
        if not 1 <= len(pattern) <= p.MAX_PATTERN:
            raise ValueError("pattern must be 1 ... 256 bytes")
        reply = self._request(p.search_request(start, length, pattern))
        if reply.status == p.STATUS_NO_MORE_ENTRIES:
            return None
        self._check_status(reply)
        return p.decode_search(reply)

    def query(self, address: int) -> MemoryRegion:
        """The memory region holding ``address`` (QueryMemory); unmapped addresses give the gap, kind 0."""
        reply = self._request(p.query_request(address))
        if reply.status not in (p.STATUS_SUCCESS, p.STATUS_ACCESS_VIOLATION):
            self._check_status(reply)
        return p.decode_query(reply)

    # --- registers, stacks, threads ---------------------------------------------------------------------

    def registers(self, thread: int = 0) -> Registers:
        """The registers of ``thread`` (KTHREAD address or id; 0 = the current thread). Needs a halted target."""
        return p.decode_context(self._checked(p.thread_request(p.API_GET_CONTEXT, thread)))

    def stack(self, thread: int = 0, max_frames: int = 256) -> Tuple[StackFrame, ...]:
        """Walk ``thread``'s stack (GetStackTrace), innermost first, at most ``max_frames`` (1 ... 256)."""
        if not 1 <= max_frames <= p.MAX_STACK_FRAMES:
            raise ValueError("max_frames must be 1 ... 256")
        return p.decode_stack(self._checked(p.stack_request(thread, max_frames)))

    def threads(self) -> List[Thread]:
        """Every thread (ListThreads, paged)."""
        return self._list(lambda start: p.list_request(p.API_LIST_THREADS, start, _LIST_PAGE), p.decode_threads)

    def version(self) -> Version:
        """The GetVersion record (kernel base, build number, ...)."""
        with self._lock:
            if self._version is None:
                self._version = p.decode_version(self._checked(p.encode_manipulate(p.API_GET_VERSION)))
            return self._version

    # --- modules and symbols ----------------------------------------------------------------------------

    def modules(self, refresh: bool = False) -> List[Module]:
        """The loaded modules (ListModules, paged); cached until ``refresh`` or a reboot."""
        with self._lock:
            if self._modules is None or refresh:
                kern_base = self.version().kern_base
                self._modules = self._list(
                    lambda start: p.list_request(p.API_LIST_MODULES, start, _LIST_PAGE),
                    lambda reply: p.decode_modules(reply, kern_base),
                )
            return list(self._modules)

    def module(self, name: str) -> Module:
        """The module called ``name``: its debugger name (``nt``, ``Abc``) or image name, any case."""
        wanted = name.lower()
        for module in self.modules():
            if wanted in (module.name.lower(), module.image.lower()):
                return module
        raise SymbolNotFoundError(f"no module {name!r}")

    def module_at(self, address: int) -> Optional[Module]:
        """The module whose image holds ``address``, or None."""
        return next((m for m in self.modules() if m.contains(address)), None)

    def symbols(self, module: Union[Module, str]) -> List[Symbol]:
        """The module's symbols (GetSymbols, paged), sorted by address; cached per module."""
        mod = module if isinstance(module, Module) else self.module(module)
        key = (mod.base, mod.size, mod.image)
        with self._lock:
            if key not in self._symbols:
                found = self._list(
                    lambda start: p.list_request(p.API_GET_SYMBOLS, start, _LIST_PAGE, module_base=mod.base),
                    p.decode_symbols,
                )
                self._symbols[key] = sorted(found, key=lambda s: s.address)
            return list(self._symbols[key])

    def symbol(self, name: str) -> int:
        """The address of ``module!symbol`` (or a bare symbol, searched in every module), matched without
        regard to case as KD does (``nt!poolhittag``); an exact-case match wins."""
        module_name, bang, symbol_name = name.partition("!")
        if not bang:
            module_name, symbol_name = "", name
        candidates = [self.module(module_name)] if module_name else self.modules()
        for mod in candidates:
            matches = [s for s in self.symbols(mod) if s.name.lower() == symbol_name.lower()]
            exact = [s for s in matches if s.name == symbol_name]
            if exact or matches:
                return (exact or matches)[0].address
        raise SymbolNotFoundError(f"no symbol {name!r}")

    def name_of(self, address: int) -> str:
        """``module!symbol+0xoffset`` for an address (the nearest symbol at or below it in its module), else
        ``module+0xoffset``, else the address in hex."""
        mod = self.module_at(address)
        if mod is None:
            return f"0x{address:08x}"
        best: Optional[Symbol] = None
        for sym in self.symbols(mod):
            if sym.address > address:
                break
            best = sym
        if best is None:
            return f"{mod.name}+0x{address - mod.base:x}"
        offset = address - best.address
        return f"{mod.name}!{best.name}" + (f"+0x{offset:x}" if offset else "")

    # --- requests -------------------------------------------------------------------------------------------

    def _chunks(self, address: int, size: int) -> List[Tuple[int, int]]:
        step = self.max_payload - p.MANIPULATE_HEADER
        return [(address + off, min(step, size - off)) for off in range(0, size, step)]

    def _list(
        self, request: Callable[[int], bytes], decode: Callable[[p.ManipulateReply], p.Listing]
    ) -> List[Any]:
        entries: List[Any] = []
        while True:
            reply = self._request(request(len(entries)))
            if reply.status == p.STATUS_NO_MORE_ENTRIES:
                return entries
            self._check_status(reply)
            page = decode(reply)
            entries.extend(page.entries)
            if not page.entries or len(entries) >= page.total:
                return entries

    def _checked(self, payload: bytes) -> p.ManipulateReply:
        reply = self._request(payload)
        self._check_status(reply)
        return reply

    @staticmethod
    def _check_status(reply: p.ManipulateReply) -> None:
        if reply.status != p.STATUS_SUCCESS:
            raise NtStatusError(reply.operation, reply.status)

    def _request(self, payload: bytes) -> p.ManipulateReply:
        return self._transact([payload])[0]

    def _transact(self, payloads: Sequence[bytes]) -> List[p.ManipulateReply]:
        """Send the requests pipelined (at most the window in flight) and return their replies in order."""
        with self._lock:
            self._check_open()
            limit = max(1, min(self.window or 1, _MAX_IN_FLIGHT))
            replies: List[p.ManipulateReply] = []
            in_flight: Deque[Tuple[int, int]] = deque()  # (packet id, ApiNumber)
            deadline = time.monotonic() + self.request_timeout
            sent = 0
            while len(replies) < len(payloads):
                while sent < len(payloads) and len(in_flight) < limit:
                    packet_id = self._take_id()
                    self._send(p.encode_data(p.KD_STATE_MANIPULATE, packet_id, payloads[sent]))
                    in_flight.append((packet_id, int.from_bytes(payloads[sent][:4], "little")))
                    sent += 1
                reply = self._read_reply(deadline)
                packet_id, api = in_flight.popleft()
                if reply.packet_id != packet_id:
                    raise self._fail(ProtocolError("reply PacketId", 8, packet_id, reply.packet_id))
                if reply.api != api:
                    raise self._fail(ProtocolError("reply ApiNumber", 16, api, reply.api))
                replies.append(reply)
                if reply.status == p.STATUS_PENDING:
                    raise self._fail(ProtocolError("reply ReturnStatus", 24, "a result", p.STATUS_PENDING))
            return replies

    def _read_reply(self, deadline: float) -> p.ManipulateReply:
        while True:
            frame = self._recv_frame(deadline)
            if frame is None:
                error = RequestTimeoutError(f"no reply within {self.request_timeout:g} s; session closed")
                self._abandon(SessionClosedError(None, str(error)))
                raise error
            reply = self._dispatch(frame)
            if reply is not None:
                return reply

    # --- frames ---------------------------------------------------------------------------------------------

    def _take_id(self) -> int:
        packet_id = self._next_id
        self._next_id = (self._next_id + 1) & 0xFFFFFFFF or 1
        return packet_id

    def _check_open(self) -> None:
        if self._closed is not None:
            raise self._closed

    def _send(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError as error:
            why = SessionClosedError(None, f"connection lost while sending: {error}")
            self._abandon(self._goodbye_after_failed_send() or why)
            raise self._closed  # type: ignore[misc]

    def _goodbye_after_failed_send(self) -> Optional[SessionClosedError]:
        """After a failed send, the server's GOODBYE may still be readable: it says why the link closed."""
        deadline = time.monotonic() + 1.0
        try:
            while True:
                frame = self._decoder.next_frame()
                if frame is None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return None
                    self._sock.settimeout(remaining)
                    chunk = self._sock.recv(65536)
                    if not chunk:
                        return None
                    self._decoder.feed(chunk)
                elif frame.leader == p.LEADER_DATA and frame.packet_type == p.GOODBYE:
                    return SessionClosedError(*p.decode_goodbye(frame.payload))
        except (OSError, ProtocolError):
            return None

    def _recv_frame(self, deadline: Optional[float]) -> Optional[p.Frame]:
        while True:
            try:
                frame = self._decoder.next_frame()
            except ProtocolError as error:
                raise self._fail(error)
            if frame is not None:
                return frame
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return None
            try:
                self._sock.settimeout(remaining)
                chunk = self._sock.recv(65536)
            except socket.timeout:
                return None
            except OSError as error:
                self._abandon(SessionClosedError(None, f"connection lost: {error}"))
                raise self._closed  # type: ignore[misc]
            if not chunk:
                self._abandon(SessionClosedError(None, "connection closed by the server without GOODBYE"))
                raise self._closed  # type: ignore[misc]
            self._decoder.feed(chunk)

    def _dispatch(self, frame: p.Frame) -> Optional[p.ManipulateReply]:
        """Handle one frame: return a manipulate reply, queue an event, or end the session on GOODBYE."""
        try:
            if frame.leader == p.LEADER_CONTROL:
                if frame.packet_type == p.KD_ACKNOWLEDGE:
                    return None
                raise ProtocolError("unexpected control packet from the server", 4, p.KD_ACKNOWLEDGE, frame.packet_type)
            if frame.leader == p.LEADER_BREAKIN:
                raise ProtocolError("break-in packet from the server", 0, p.LEADER_DATA, p.LEADER_BREAKIN)
            kind = frame.packet_type
            if kind == p.KD_STATE_MANIPULATE:
                reply = p.decode_manipulate(frame.packet_id, frame.payload)
                if self._swallow_breakin_refusal and frame.packet_id >= self._breakin_mark:
                    self._swallow_breakin_refusal = False
                return reply
            if kind == p.KD_STATE_CHANGE64:
                self._on_state_change(p.decode_state_change(frame.payload))
            elif kind == p.KD_DEBUG_IO:
                self._output.append(p.decode_debug_io(frame.payload))
            elif kind == p.REFUSED:
                self._on_refused(*p.decode_refused(frame.payload))
            elif kind == p.GOODBYE:
                status, reason = p.decode_goodbye(frame.payload)
                self._abandon(SessionClosedError(status, reason))
                raise self._closed  # type: ignore[misc]
            elif kind in (p.HELLO, p.HELLO_REPLY):
                raise ProtocolError("unexpected packet type", 4, None, kind)
            # Any other type is unknown: not an error (section 13); ignored.
            return None
        except ProtocolError as error:
            raise self._fail(error)

    def _on_state_change(self, event: StateChange) -> None:
        if isinstance(event, BreakEvent):
            self._halted = True
            self._current_break = event
            if self._breakin_pending:
                self._breakin_pending = False
                # A break for another reason crossed our break-in: its REFUSED may follow (7.1).
                self._swallow_breakin_refusal = event.reason != BREAK_REASON_BREAK_IN
        elif isinstance(event, RunningEvent):
            self._halted = False
            self._current_break = None
        self._events.append(event)

    def _on_refused(self, status: int, refused_type: int) -> None:
        if refused_type != p.KD_UNUSED:
            raise RefusedError(status, refused_type)  # we send no other refusable packet
        if self._swallow_breakin_refusal and status == p.STATUS_INVALID_DEVICE_STATE:
            self._swallow_breakin_refusal = False
            return
        self._breakin_pending = False
        self._breakin_refusals.append(status)

    def _resumed(self) -> None:
        """A Continue, Continue2 or Reboot succeeded: the target runs, and breaks queued before are stale."""
        self._halted = False
        self._current_break = None
        self._drop_queued(BreakEvent)

    def _drop_queued(self, kind: type) -> None:
        self._events = deque(e for e in self._events if not isinstance(e, kind))

    def _abandon(self, why: SessionClosedError) -> None:
        """The session is over without our GOODBYE (theirs, a broken link, a timeout): close the socket."""
        if self._closed is None:
            self._closed = why
        try:
            self._sock.close()
        except OSError:
            pass

    def _fail(self, error: ProtocolError) -> ProtocolError:
        """A malformed frame: tell the server (GOODBYE STATUS_INVALID_NETWORK_RESPONSE), close, return the error."""
        if self._closed is None:
            try:
                goodbye = p.encode_goodbye(p.STATUS_INVALID_NETWORK_RESPONSE, f"client: {error}")
                self._sock.sendall(p.encode_data(p.GOODBYE, self._take_id(), goodbye))
            except OSError:
                pass
        self._abandon(SessionClosedError(p.STATUS_INVALID_NETWORK_RESPONSE, f"protocol error: {error}"))
        return error


def _pending_alert(sock: ssl.SSLSocket) -> Optional[str]:
    """The TLS alert (or other error) a read finds after a failed write, if any, within a second."""
    try:
        sock.settimeout(1.0)
        sock.recv(1)
    except OSError as alert:
        return str(alert)
    return None


def _read_frame_before_session(sock: ssl.SSLSocket, decoder: p.FrameDecoder, deadline: float) -> p.Frame:
    """The next frame during the hello, or ConnectError (a TLS alert such as a refused client certificate
    arrives here, on the first read: section 2)."""
    while True:
        frame = decoder.next_frame()
        if frame is not None:
            return frame
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ConnectError("no HELLO_REPLY in time")
        try:
            sock.settimeout(remaining)
            chunk = sock.recv(65536)
        except socket.timeout:
            raise ConnectError("no HELLO_REPLY in time") from None
        except OSError as error:
            raise ConnectError(f"connection refused during the hello: {error}") from error
        if not chunk:
            raise ConnectError("connection closed before the HELLO_REPLY")
        decoder.feed(chunk)
