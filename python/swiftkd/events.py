"""What the server pushes: state changes (break, running, load symbols) and debug output.

Every field is decoded from the wire (docs/PROTOCOL.md section 9); nothing is computed on the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple, Union

__all__ = [
    "Registers",
    "StackFrame",
    "BreakEvent",
    "RunningEvent",
    "LoadSymbolsEvent",
    "DebugOutput",
    "StateChange",
    "BREAK_REASONS",
]

#: BreakReason values (section 9.2). Other values decode and are kept as numbers.
BREAK_REASONS: Dict[int, str] = {
    0: "none",
    1: "breakpoint",
    2: "breakIn",
    3: "singleStep",
    4: "hardcodedBreakpoint",
    5: "exception",
    6: "bugCheck",
}

REGISTER_NAMES: Tuple[str, ...] = (
    "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp",
    "eip", "eflags", "cs", "ss", "ds", "es", "fs", "gs",
)


@dataclass(frozen=True)
class Registers:
    """A thread's X86Context (64 bytes: sixteen u32, section 8.5)."""

    eax: int
    ebx: int
    ecx: int
    edx: int
    esi: int
    edi: int
    ebp: int
    esp: int
    eip: int
    eflags: int
    cs: int
    ss: int
    ds: int
    es: int
    fs: int
    gs: int

    def as_dict(self) -> Dict[str, int]:
        """The registers by lower-case name."""
        return {name: getattr(self, name) for name in REGISTER_NAMES}


@dataclass(frozen=True)
class StackFrame:
    """One StackFrame (32 bytes, what ``kb`` prints): section 8.5."""

    child_ebp: int
    return_address: int
    args: Tuple[int, int, int, int]
    instruction_pointer: int


@dataclass(frozen=True)
class BreakEvent:
    """The target halted (NewState 0x3030): where, why, with the thread's registers and stack.

    ``reason`` is the BreakReason number (:data:`BREAK_REASONS` names it); ``frames`` are innermost first, at
    most the negotiated BreakStackFrames (use :meth:`swiftkd.Target.stack` for deeper stacks).
    """

    pc: int
    thread: int
    processor: int
    processors: int
    reason: int
    exception_code: int
    exception_flags: int
    exception_address: int
    parameters: Tuple[int, ...]
    first_chance: bool
    breakpoint_handle: int
    instruction_bytes: bytes
    registers: Registers
    frames: Tuple[StackFrame, ...]

    @property
    def reason_name(self) -> str:
        """The BreakReason's name, or its number for a value the protocol does not name."""
        return BREAK_REASONS.get(self.reason, str(self.reason))


@dataclass(frozen=True)
class RunningEvent:
    """The target resumed (NewState 0x3180): after Continue, Continue2, Reboot or ``--resume-after``."""

    processors: int


@dataclass(frozen=True)
class LoadSymbolsEvent:
    """A module was loaded or unloaded (NewState 0x3031; defined, not sent by the current server)."""

    base: int
    size: int
    checksum: int
    unload: bool
    path: str
    thread: int
    pc: int


@dataclass(frozen=True)
class DebugOutput:
    """DbgPrint text (KD_DEBUG_IO); ``dropped`` prints were coalesced away by the server before this one."""

    text: str
    processor: int
    dropped: int


StateChange = Union[BreakEvent, RunningEvent, LoadSymbolsEvent]

