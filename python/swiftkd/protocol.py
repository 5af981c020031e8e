"""The swift-kd wire protocol: frames and payloads, encoded and decoded without I/O.

Written from docs/PROTOCOL.md (version 1.0). Little-endian everywhere. Every decoder checks bounds, reserved
fields and exact lengths, and raises :class:`~swiftkd.errors.ProtocolError` with the frame offset (payload
offset + 16), the value expected and the value found; bytes from the wire never raise anything else.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from .errors import ProtocolError
from .events import (
    BreakEvent,
    DebugOutput,
    LoadSymbolsEvent,
    Registers,
    RunningEvent,
    StackFrame,
    StateChange,
)
from .records import MemoryRegion, Module, Symbol, Thread, Version

# --- Frames (section 4) ---------------------------------------------------------------------------------

LEADER_DATA = 0x30303030  # "0000"
LEADER_CONTROL = 0x69696969  # "iiii"
LEADER_BREAKIN = 0x62626262  # "bbbb"
HEADER_SIZE = 16
TRAILER = 0xAA

# Packet types (section 5).
KD_UNUSED = 0
KD_STATE_MANIPULATE = 2
KD_DEBUG_IO = 3
KD_ACKNOWLEDGE = 4
KD_RESEND = 5
KD_RESET = 6
KD_STATE_CHANGE64 = 7
HELLO = 0x20
HELLO_REPLY = 0x21
GOODBYE = 0x22
REFUSED = 0x23

# Limits (section 12).
HARD_MAX_PAYLOAD = 61440
DEFAULT_MAX_PAYLOAD = 32768
MIN_MAX_PAYLOAD = 1024
MAX_NAME_OR_TOKEN = 256
MAX_STACK_FRAMES = 256
MAX_PATTERN = 256
MANIPULATE_HEADER = 56
STATE_CHANGE_FIXED = 304

PROTOCOL_MAJOR = 1
PROTOCOL_MINOR = 0

# HELLO flags (6.1) and HELLO_REPLY flags (6.2).
HELLO_ACK_REQUESTED = 1 << 0
HELLO_WANT_CONTROLLER = 1 << 1
HELLO_BREAK_ON_ATTACH = 1 << 2
REPLY_ACKS_ON = 1 << 0
REPLY_TOKEN_REQUIRED = 1 << 1
REPLY_TAKEOVER_ALLOWED = 1 << 2

ROLE_NONE, ROLE_CONTROLLER, ROLE_OBSERVER = 0, 1, 2
ROLE_NAMES = {ROLE_NONE: "none", ROLE_CONTROLLER: "controller", ROLE_OBSERVER: "observer"}
TARGET_RUNNING, TARGET_HALTED = 1, 2

# ApiNumbers (section 8.4).
API_READ_VIRTUAL_MEMORY = 0x3130
API_WRITE_VIRTUAL_MEMORY = 0x3131
API_GET_CONTEXT = 0x3132
API_SET_CONTEXT = 0x3133
API_WRITE_BREAKPOINT = 0x3134
API_RESTORE_BREAKPOINT = 0x3135
API_CONTINUE = 0x3136
API_REBOOT = 0x313B
API_CONTINUE2 = 0x313C
API_GET_VERSION = 0x3146
API_SEARCH_MEMORY = 0x3156
API_QUERY_MEMORY = 0x315C
API_GET_STACK_TRACE = 0x3170
API_LIST_MODULES = 0x3172
API_LIST_THREADS = 0x3173
API_GET_SYMBOLS = 0x3174

DBG_CONTINUE = 0x00010002
DBG_PRINT_STRING_API = 0x3230

# State changes (section 9).
STATE_EXCEPTION = 0x3030
STATE_LOAD_SYMBOLS = 0x3031
STATE_RUNNING = 0x3180

# NTSTATUS (section 11).
STATUS_SUCCESS = 0x00000000
STATUS_TIMEOUT = 0x00000102
STATUS_PENDING = 0x00000103
STATUS_PARTIAL_COPY = 0x8000000D
STATUS_DEVICE_BUSY = 0x80000011
STATUS_NO_MORE_ENTRIES = 0x8000001A
STATUS_UNSUCCESSFUL = 0xC0000001
STATUS_NOT_IMPLEMENTED = 0xC0000002
STATUS_ACCESS_VIOLATION = 0xC0000005
STATUS_INVALID_PARAMETER = 0xC000000D
STATUS_ACCESS_DENIED = 0xC0000022
STATUS_QUOTA_EXCEEDED = 0xC0000044
STATUS_REVISION_MISMATCH = 0xC0000059
STATUS_PRIVILEGE_NOT_HELD = 0xC0000061
STATUS_INVALID_DEVICE_STATE = 0xC0000184
STATUS_INVALID_NETWORK_RESPONSE = 0xC0000239
STATUS_SYSTEM_SHUTDOWN = 0xC00002EB
STATUS_BREAKPOINT = 0x80000003
STATUS_SINGLE_STEP = 0x80000004



def _constants(prefix: str) -> Dict[int, str]:
    return {value: name for name, value in list(globals().items()) if name.startswith(prefix) and isinstance(value, int)}


#: NTSTATUS names by value.
STATUS_NAMES: Dict[int, str] = _constants("STATUS_")
#: Request names by ApiNumber: API_READ_VIRTUAL_MEMORY is "ReadVirtualMemory".
API_NAMES: Dict[int, str] = {
    value: "".join(word.capitalize() for word in name[4:].split("_")) for value, name in _constants("API_").items()
}


# --- Bounds-checked reading -----------------------------------------------------------------------------


class Reader:
    """Reads little-endian fields of one payload; every failure is a ProtocolError with a frame offset.

    ``base`` is the frame offset of the payload's first byte (16 for a frame's payload).
    """

    def __init__(self, data: bytes, what: str, base: int = HEADER_SIZE) -> None:
        self.data = data
        self.what = what
        self.base = base

    def fail(self, message: str, offset: int, expected: object = None, found: object = None) -> ProtocolError:
        """A ProtocolError about this payload at payload ``offset``."""
        return ProtocolError(
            f"malformed {self.what} payload: {message}",
            self.base + offset,
            expected if isinstance(expected, (int, str)) or expected is None else str(expected),
            found if isinstance(found, (int, str)) or found is None else str(found),
        )

    def take(self, offset: int, size: int, field: str) -> bytes:
        """``size`` bytes at ``offset``; truncation names the field, the bytes needed and those left."""
        available = max(0, len(self.data) - offset)
        if size > available:
            raise self.fail(f"truncated {field} (needs {size} bytes)", offset, size, available)
        return self.data[offset : offset + size]

    def u8(self, offset: int, field: str) -> int:
        return self.take(offset, 1, field)[0]

    def u16(self, offset: int, field: str) -> int:
        return int(struct.unpack_from("<H", self.take(offset, 2, field))[0])

    def u32(self, offset: int, field: str) -> int:
        return int(struct.unpack_from("<I", self.take(offset, 4, field))[0])

    def u64(self, offset: int, field: str) -> int:
        return int(struct.unpack_from("<Q", self.take(offset, 8, field))[0])

    def reserved(self, offset: int, size: int) -> None:
        """Refuse a reserved field that is not zero (section 3)."""
        chunk = self.take(offset, size, "reserved")
        for i, byte in enumerate(chunk):
            if byte:
                raise self.fail("reserved field not zero", offset + i, 0, byte)

    def utf8(self, offset: int, size: int, field: str) -> str:
        """A UTF-8 string; invalid UTF-8 names the first bad byte's offset."""
        raw = self.take(offset, size, field)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise self.fail(f"invalid UTF-8 in {field}", offset + error.start, None, raw[error.start]) from None

    def length_is(self, expected: int) -> None:
        """The payload must end exactly where the fields say (section 3)."""
        if len(self.data) != expected:
            raise ProtocolError(
                f"malformed {self.what} payload: length mismatch in payload", self.base, expected, len(self.data)
            )

    def at_most(self, value: int, limit: int, offset: int, field: str) -> None:
        """Refuse a count above its limit."""
        if value > limit:
            raise self.fail(f"invalid {field} (at most {limit})", offset, None, value)


# --- Frames ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its leader, type, PacketId and payload (empty for control and break-in packets)."""

    leader: int
    packet_type: int
    packet_id: int
    payload: bytes


def checksum(payload: bytes) -> int:
    """KD's checksum: the wrapping u32 sum of the payload bytes."""
    return sum(payload) & 0xFFFFFFFF


def encode_data(packet_type: int, packet_id: int, payload: bytes) -> bytes:
    """A data packet: header, payload, 0xAA trailer."""
    if len(payload) > HARD_MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {HARD_MAX_PAYLOAD}")
    header = struct.pack("<IHHII", LEADER_DATA, packet_type, len(payload), packet_id, checksum(payload))
    return header + payload + bytes([TRAILER])


def encode_control(packet_type: int, packet_id: int = 0) -> bytes:
    """A control packet (ACKNOWLEDGE, RESEND, RESET): a bare header."""
    return struct.pack("<IHHII", LEADER_CONTROL, packet_type, 0, packet_id, 0)


BREAK_IN_PACKET = struct.pack("<IHHII", LEADER_BREAKIN, 0, 0, 0, 0)


class FrameDecoder:
    """Incremental frame decoder validating in the order of section 4.1.

    Feed it bytes with :meth:`feed`; :meth:`next_frame` returns a complete frame or ``None`` when more bytes
    are needed. ``max_payload`` is 61440 until the HELLO_REPLY negotiates another.
    """

    def __init__(self, max_payload: int = HARD_MAX_PAYLOAD) -> None:
        self.max_payload = max_payload
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        """Append received bytes."""
        self._buffer += data

    @property
    def buffered(self) -> int:
        """Bytes received and not yet returned as a frame."""
        return len(self._buffer)

    def next_frame(self) -> Optional[Frame]:
        """The next complete frame, or ``None``; a frame that breaks the rules raises ProtocolError."""
        buf = self._buffer
        if len(buf) < 4:
            return None
        leader = int.from_bytes(buf[0:4], "little")
        if leader not in (LEADER_DATA, LEADER_CONTROL, LEADER_BREAKIN):
            raise ProtocolError("malformed frame: bad packet leader", 0, "0x30303030, 0x69696969 or 0x62626262", leader)
        if len(buf) < 8:
            return None
        packet_type = int.from_bytes(buf[4:6], "little")
        byte_count = int.from_bytes(buf[6:8], "little")
        if leader != LEADER_DATA and byte_count != 0:
            raise ProtocolError("malformed frame: ByteCount of a control or break-in packet", 6, 0, byte_count)
        if byte_count > self.max_payload:
            raise ProtocolError("malformed frame: oversized ByteCount", 6, self.max_payload, byte_count)
        total = HEADER_SIZE + byte_count + (1 if leader == LEADER_DATA else 0)
        if len(buf) < total:
            return None
        packet_id = int.from_bytes(buf[8:12], "little")
        stated = int.from_bytes(buf[12:16], "little")
        payload = bytes(buf[HEADER_SIZE : HEADER_SIZE + byte_count])
        if leader == LEADER_BREAKIN and packet_type != 0:
            raise ProtocolError("malformed frame: PacketType of a break-in packet", 4, 0, packet_type)
        actual = checksum(payload)
        if stated != actual:
            raise ProtocolError("malformed frame: checksum mismatch", 12, stated, actual)
        if leader == LEADER_DATA and buf[total - 1] != TRAILER:
            raise ProtocolError("malformed frame: bad trailer", total - 1, TRAILER, buf[total - 1])
        del buf[:total]
        return Frame(leader, packet_type, packet_id, payload)


# --- HELLO, HELLO_REPLY, GOODBYE, REFUSED (sections 6, 10) ---------------------------------------------


def encode_hello(flags: int, max_payload: int, break_frames: int, client_name: str, token: bytes) -> bytes:
    """A HELLO payload (6.1)."""
    name = client_name.encode("utf-8")
    if len(name) > MAX_NAME_OR_TOKEN or len(token) > MAX_NAME_OR_TOKEN:
        raise ValueError("client name and token are at most 256 bytes each")
    if max_payload and not MIN_MAX_PAYLOAD <= max_payload <= HARD_MAX_PAYLOAD:
        raise ValueError("max_payload is 0 (default) or 1024 ... 61440")
    if not 0 <= break_frames <= MAX_STACK_FRAMES:
        raise ValueError("break_frames is 0 (default) or 1 ... 256")
    head = struct.pack("<HHIIIHHI", PROTOCOL_MAJOR, PROTOCOL_MINOR, flags, max_payload, break_frames, len(name), len(token), 0)
    return head + name + token


@dataclass(frozen=True)
class HelloReply:
    """A decoded HELLO_REPLY (6.2)."""

    major: int
    minor: int
    status: int
    role: int
    max_payload: int
    break_stack_frames: int
    session_id: int
    target_state: int
    flags: int
    window: int
    server_name: str
    break_event: Optional[StateChange]


def decode_hello_reply(payload: bytes) -> HelloReply:
    """Decode a HELLO_REPLY payload; the embedded break event is decoded as its own payload (section 13)."""
    r = Reader(payload, "HELLO_REPLY")
    r.take(0, 40, "HELLO_REPLY header")
    role = r.u32(8, "Role")
    if role not in ROLE_NAMES:
        raise r.fail("invalid Role", 8, "0, 1 or 2", role)
    max_payload = r.u32(12, "MaxPayload")
    if not MIN_MAX_PAYLOAD <= max_payload <= HARD_MAX_PAYLOAD:
        raise r.fail("invalid MaxPayload", 12, "1024 ... 61440", max_payload)
    state = r.u32(24, "TargetState")
    if state not in (TARGET_RUNNING, TARGET_HALTED):
        raise r.fail("invalid TargetState", 24, "1 or 2", state)
    flags = r.u32(28, "Flags")
    if flags & ~0x7:
        raise r.fail("reserved Flags bits set", 28, 0, flags & ~0x7)
    name_length = r.u16(32, "ServerNameLength")
    change_length = r.u32(36, "StateChangeLength")
    r.length_is(40 + name_length + change_length)
    name = r.utf8(40, name_length, "ServerName")
    event = decode_state_change(payload[40 + name_length :]) if change_length else None
    return HelloReply(
        major=r.u16(0, "ProtocolMajor"),
        minor=r.u16(2, "ProtocolMinor"),
        status=r.u32(4, "Status"),
        role=role,
        max_payload=max_payload,
        break_stack_frames=r.u32(16, "BreakStackFrames"),
        session_id=r.u32(20, "SessionId"),
        target_state=state,
        flags=flags,
        window=r.u16(34, "Window"),
        server_name=name,
        break_event=event,
    )


def encode_goodbye(status: int, reason: str) -> bytes:
    """A GOODBYE payload (10.1)."""
    text = reason.encode("utf-8")[:1024]
    return struct.pack("<IHH", status, len(text), 0) + text


def decode_goodbye(payload: bytes) -> Tuple[int, str]:
    """A GOODBYE's status and reason."""
    r = Reader(payload, "GOODBYE")
    status = r.u32(0, "Status")
    length = r.u16(4, "ReasonLength")
    r.reserved(6, 2)
    r.length_is(8 + length)
    return status, r.utf8(8, length, "Reason")


def decode_refused(payload: bytes) -> Tuple[int, int]:
    """A REFUSED's status and the packet type refused."""
    r = Reader(payload, "REFUSED")
    r.length_is(8)
    status = r.u32(0, "Status")
    refused_type = r.u16(4, "RefusedType")
    r.reserved(6, 2)
    return status, refused_type


# --- State changes and debug output (section 9) ---------------------------------------------------------


def _registers(r: Reader, offset: int) -> Registers:
    return Registers(*struct.unpack_from("<16I", r.take(offset, 64, "X86Context")))


def _frames(r: Reader, offset: int, count: int) -> Tuple[StackFrame, ...]:
    frames = []
    for i in range(count):
        at = offset + 32 * i
        ebp, ret, a0, a1, a2, a3, ip = struct.unpack_from("<7I", r.take(at, 28, "StackFrame"))
        r.reserved(at + 28, 4)
        frames.append(StackFrame(ebp, ret, (a0, a1, a2, a3), ip))
    return tuple(frames)


def decode_state_change(payload: bytes) -> StateChange:
    """Decode a KD_STATE_CHANGE64 payload into a BreakEvent, RunningEvent or LoadSymbolsEvent."""
    r = Reader(payload, "KD_STATE_CHANGE64")
    r.take(0, STATE_CHANGE_FIXED, "state change")
    new_state = r.u32(0, "NewState")
    if new_state not in (STATE_EXCEPTION, STATE_LOAD_SYMBOLS, STATE_RUNNING):
        raise r.fail("invalid NewState", 0, "0x3030, 0x3031 or 0x3180", new_state)
    processors = r.u32(8, "NumberProcessors")
    reason = r.u32(12, "BreakReason")
    if new_state != STATE_EXCEPTION and reason:
        raise r.fail("BreakReason of a state change that is not a break", 12, 0, reason)
    instruction_count = r.u16(200, "InstructionCount")
    r.at_most(instruction_count, 16, 200, "InstructionCount")
    r.reserved(204 + instruction_count, 16 - instruction_count)
    frame_count = r.u32(296, "StackFrameCount")
    r.at_most(frame_count, MAX_STACK_FRAMES, 296, "StackFrameCount")
    r.reserved(300, 4)
    end_of_frames = STATE_CHANGE_FIXED + 32 * frame_count
    thread = r.u64(16, "Thread")
    pc = r.u64(24, "ProgramCounter")
    if new_state == STATE_RUNNING:
        r.length_is(end_of_frames)
        return RunningEvent(processors=processors)
    if new_state == STATE_LOAD_SYMBOLS:
        path_length = r.u32(32, "PathNameLength")
        r.reserved(36, 4)
        r.reserved(48, 8)  # ProcessId: 0
        unload = r.u32(64, "UnloadSymbols")
        if unload not in (0, 1):
            raise r.fail("invalid UnloadSymbols", 64, "0 or 1", unload)
        r.reserved(68, 124)
        r.length_is(end_of_frames + path_length)
        return LoadSymbolsEvent(
            base=r.u64(40, "BaseOfDll"),
            size=r.u32(60, "SizeOfImage"),
            checksum=r.u32(56, "CheckSum"),
            unload=bool(unload),
            path=r.utf8(end_of_frames, path_length, "PathName"),
            thread=thread,
            pc=pc,
        )
    r.length_is(end_of_frames)
    r.reserved(40, 8)  # ExceptionRecord: 0
    parameter_count = r.u32(56, "NumberParameters")
    r.at_most(parameter_count, 15, 56, "NumberParameters")
    r.reserved(60, 4)
    parameters = tuple(r.u64(64 + 8 * i, "ExceptionInformation") for i in range(parameter_count))
    r.reserved(64 + 8 * parameter_count, 8 * (15 - parameter_count))
    first_chance = r.u32(184, "FirstChance")
    if first_chance not in (0, 1):
        raise r.fail("invalid FirstChance", 184, "0 or 1", first_chance)
    return BreakEvent(
        pc=pc,
        thread=thread,
        processor=r.u16(6, "Processor"),
        processors=processors,
        reason=reason,
        exception_code=r.u32(32, "ExceptionCode"),
        exception_flags=r.u32(36, "ExceptionFlags"),
        exception_address=r.u64(48, "ExceptionAddress"),
        parameters=parameters,
        first_chance=bool(first_chance),
        breakpoint_handle=r.u32(188, "BreakpointHandle"),
        instruction_bytes=r.take(204, instruction_count, "InstructionStream"),
        registers=_registers(r, 232),
        frames=_frames(r, STATE_CHANGE_FIXED, frame_count),
    )


def decode_debug_io(payload: bytes) -> DebugOutput:
    """Decode a KD_DEBUG_IO payload (9.6)."""
    r = Reader(payload, "KD_DEBUG_IO")
    api = r.u32(0, "ApiNumber")
    if api != DBG_PRINT_STRING_API:
        raise r.fail("invalid ApiNumber", 0, DBG_PRINT_STRING_API, api)
    r.reserved(4, 2)
    length = r.u32(8, "LengthOfString")
    r.length_is(16 + length)
    return DebugOutput(text=r.utf8(16, length, "text"), processor=r.u16(6, "Processor"), dropped=r.u32(12, "Dropped"))


# --- KD_STATE_MANIPULATE (section 8) --------------------------------------------------------------------


def encode_manipulate(api: int, union: bytes = b"", data: bytes = b"") -> bytes:
    """A request payload: the 56-byte header (ReturnStatus STATUS_PENDING, union zero-padded to 40) + data."""
    if len(union) > 40:
        raise ValueError("the union is 40 bytes")
    return struct.pack("<IHHII", api, 0, 0, STATUS_PENDING, 0) + union.ljust(40, b"\0") + data


@dataclass(frozen=True)
class ManipulateReply:
    """A decoded manipulate reply: its status and a Reader over the whole payload (union at offset 16)."""

    packet_id: int
    api: int
    status: int
    reader: Reader

    @property
    def data(self) -> bytes:
        """The bytes after the 56-byte header."""
        return self.reader.data[MANIPULATE_HEADER:]

    @property
    def operation(self) -> str:
        """The request's name (``ReadVirtualMemory``) or its ApiNumber in hex."""
        return API_NAMES.get(self.api, f"0x{self.api:04x}")


def decode_manipulate(packet_id: int, payload: bytes) -> ManipulateReply:
    """Decode a manipulate reply's header; the union and data are read by the per-API decoders below."""
    r = Reader(payload, "KD_STATE_MANIPULATE")
    r.take(0, MANIPULATE_HEADER, "manipulate header")
    r.reserved(12, 4)
    return ManipulateReply(packet_id, r.u32(0, "ApiNumber"), r.u32(8, "ReturnStatus"), r)


def read_request(address: int, count: int) -> bytes:
    return encode_manipulate(API_READ_VIRTUAL_MEMORY, struct.pack("<QI", address, count))


def decode_read(reply: ManipulateReply) -> bytes:
    """ReadVirtualMemory's bytes: data empty or exactly ActualBytesRead (8.5)."""
    r = reply.reader
    actual = r.u32(28, "ActualBytesRead")
    r.reserved(32, 24)
    data = reply.data
    if data and len(data) != actual:
        raise r.fail("length mismatch in ActualBytesRead", 28, len(data), actual)
    if actual > r.u32(24, "TransferCount"):
        raise r.fail("ActualBytesRead above TransferCount", 28, r.u32(24, "TransferCount"), actual)
    return data


def write_request(address: int, data: bytes) -> bytes:
    return encode_manipulate(API_WRITE_VIRTUAL_MEMORY, struct.pack("<QI", address, len(data)), data)


def decode_write(reply: ManipulateReply) -> int:
    """WriteVirtualMemory's ActualBytesWritten."""
    r = reply.reader
    written = r.u32(28, "ActualBytesWritten")
    r.reserved(32, 24)
    if reply.status == STATUS_SUCCESS or reply.status == STATUS_PARTIAL_COPY:
        r.length_is(MANIPULATE_HEADER)
    return written


def thread_request(api: int, thread: int) -> bytes:
    return encode_manipulate(api, struct.pack("<I", thread))


def decode_context(reply: ManipulateReply) -> Registers:
    """GetContext's X86Context."""
    r = reply.reader
    r.reserved(20, 36)
    r.length_is(MANIPULATE_HEADER + 64)
    return _registers(r, MANIPULATE_HEADER)


def continue_request(trace: bool) -> bytes:
    if trace:
        return encode_manipulate(API_CONTINUE2, struct.pack("<II", DBG_CONTINUE, 1))
    return encode_manipulate(API_CONTINUE, struct.pack("<I", DBG_CONTINUE))


def decode_version(reply: ManipulateReply) -> Version:
    """GetVersion's record (the whole union)."""
    r = reply.reader
    fields = struct.unpack_from("<HHBBHHBBBBHQQQ", r.take(16, 40, "version record"))
    major, minor, proto, secondary, flags, machine, max_type, max_change, max_manip, sim, _unused, kb, pslm, ddl = fields
    return Version(major, minor, proto, secondary, flags, machine, max_type, max_change, max_manip, sim, kb, pslm, ddl)


def search_request(start: int, length: int, pattern: bytes) -> bytes:
    return encode_manipulate(API_SEARCH_MEMORY, struct.pack("<QQI", start, length, len(pattern)), pattern)


def decode_search(reply: ManipulateReply) -> int:
    """SearchMemory's SearchAddress."""
    r = reply.reader
    r.reserved(36, 20)
    if reply.status == STATUS_SUCCESS:
        r.length_is(MANIPULATE_HEADER)
    return r.u64(16, "SearchAddress")


def query_request(address: int) -> bytes:
    return encode_manipulate(API_QUERY_MEMORY, struct.pack("<Q", address))


def decode_query(reply: ManipulateReply) -> MemoryRegion:
    """QueryMemory's region."""
    r = reply.reader
    r.reserved(48, 8)
    r.length_is(MANIPULATE_HEADER)
    protection = r.u32(40, "Protection")
    return MemoryRegion(
        address=r.u64(16, "Address"),
        base=r.u64(24, "RegionBase"),
        size=r.u64(32, "RegionSize"),
        readable=bool(protection & 1),
        writable=bool(protection & 2),
        executable=bool(protection & 4),
        kind=r.u32(44, "Kind"),
    )


def stack_request(thread: int, max_frames: int) -> bytes:
    return encode_manipulate(API_GET_STACK_TRACE, struct.pack("<II", thread, max_frames))


def decode_stack(reply: ManipulateReply) -> Tuple[StackFrame, ...]:
    """GetStackTrace's frames: data exactly FrameCount x 32 bytes."""
    r = reply.reader
    count = r.u32(24, "FrameCount")
    r.at_most(count, MAX_STACK_FRAMES, 24, "FrameCount")
    r.reserved(28, 28)
    r.length_is(MANIPULATE_HEADER + 32 * count)
    return _frames(r, MANIPULATE_HEADER, count)


def list_request(api: int, start: int, max_entries: int, module_base: Optional[int] = None) -> bytes:
    if module_base is None:
        return encode_manipulate(api, struct.pack("<II", start, max_entries))
    return encode_manipulate(api, struct.pack("<QII", module_base, start, max_entries))


@dataclass(frozen=True)
class Listing:
    """One page of a listing: TotalCount and the decoded entries."""

    total: int
    entries: List[Any]  # Module, Thread or Symbol (see the decoders)


def _listing_counts(reply: ManipulateReply, symbols: bool) -> Tuple[int, int, int]:
    r = reply.reader
    shift = 8 if symbols else 0  # GetSymbols has the 8-byte ModuleBase first
    max_entries = r.u32(20 + shift, "MaxEntries")
    total = r.u32(24 + shift, "TotalCount")
    returned = r.u32(28 + shift, "ReturnedCount")
    r.reserved(32 + shift, 24 - shift)
    if returned > max_entries:
        raise r.fail("ReturnedCount above MaxEntries", 28 + shift, max_entries, returned)
    return total, returned, 28 + shift


def decode_modules(reply: ManipulateReply, kern_base: int) -> Listing:
    """ListModules' page; ``kern_base`` names the kernel ``nt`` (KD's module name)."""
    r = reply.reader
    total, returned, _ = _listing_counts(reply, symbols=False)
    modules: List[Module] = []
    at = MANIPULATE_HEADER
    for _ in range(returned):
        base, size, check, stamp, name_length = struct.unpack_from("<IIIIH", r.take(at, 18, "module entry"))
        r.reserved(at + 18, 2)
        image = r.utf8(at + 20, name_length, "module Name")
        stem = image.rsplit(".", 1)[0] if "." in image else image
        modules.append(Module(base, size, check, stamp, image, "nt" if base == kern_base else stem))
        at += 20 + name_length
    r.length_is(at)
    return Listing(total, modules)


def decode_threads(reply: ManipulateReply) -> Listing:
    """ListThreads' page: data exactly ReturnedCount x 32 bytes."""
    r = reply.reader
    total, returned, _ = _listing_counts(reply, symbols=False)
    r.length_is(MANIPULATE_HEADER + 32 * returned)
    threads: List[Thread] = []
    for i in range(returned):
        at = MANIPULATE_HEADER + 32 * i
        threads.append(Thread(*struct.unpack_from("<7I", r.take(at, 28, "thread entry"))))
        r.reserved(at + 28, 4)
    return Listing(total, threads)


def decode_symbols(reply: ManipulateReply) -> Listing:
    """GetSymbols' page."""
    r = reply.reader
    total, returned, _ = _listing_counts(reply, symbols=True)
    symbols: List[Symbol] = []
    at = MANIPULATE_HEADER
    for _ in range(returned):
        address, size, kind = struct.unpack_from("<IIB", r.take(at, 9, "symbol entry"))
        if kind not in (0, 1):
            raise r.fail("invalid symbol Kind", at + 8, "0 or 1", kind)
        r.reserved(at + 9, 1)
        name_length = r.u16(at + 10, "NameLength")
        name = r.utf8(at + 12, name_length, "symbol Name")
        symbols.append(Symbol(address, size, "function" if kind == 0 else "data", name))
        at += 12 + name_length
    r.length_is(at)
    return Listing(total, symbols)


def breakpoint_request(address: int) -> bytes:
    return encode_manipulate(API_WRITE_BREAKPOINT, struct.pack("<Q", address))


def decode_breakpoint(reply: ManipulateReply) -> int:
    """WriteBreakPoint's handle."""
    r = reply.reader
    r.reserved(28, 28)
    r.length_is(MANIPULATE_HEADER)
    return r.u32(24, "BreakPointHandle")
