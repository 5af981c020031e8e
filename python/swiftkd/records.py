"""Records returned by :class:`swiftkd.Target` requests (docs/PROTOCOL.md section 8.5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

__all__ = ["Module", "Symbol", "Thread", "MemoryRegion", "Version", "THREAD_STATES", "REGION_KINDS"]

#: KTHREAD_STATE values a ListThreads entry carries.
THREAD_STATES: Dict[int, str] = {0: "initialized", 1: "ready", 2: "running", 4: "terminated", 5: "waiting"}

#: QueryMemory region kinds.
REGION_KINDS: Dict[int, str] = {
    0: "unmapped", 1: "image", 2: "nonpaged pool", 3: "paged pool", 4: "stack", 5: "kernel data",
}


@dataclass(frozen=True)
class Module:
    """A ListModules entry. ``image`` is the image name the server sends (``ntoskrnl.exe``, ``Abc.sys``);
    ``name`` is the debugger's module name: ``nt`` for the kernel (the module at GetVersion's KernBase), else
    the image name without its extension, as ``lm`` shows it."""

    base: int
    size: int
    checksum: int
    timestamp: int
    image: str
    name: str

    @property
    def end(self) -> int:
        """One past the image's last byte."""
        return self.base + self.size

    def contains(self, address: int) -> bool:
        """Whether ``address`` lies in the image."""
        return self.base <= address < self.end


@dataclass(frozen=True)
class Symbol:
    """A GetSymbols entry; ``kind`` is ``function`` or ``data``."""

    address: int
    size: int
    kind: str
    name: str


@dataclass(frozen=True)
class Thread:
    """A ListThreads entry; ``state`` is the KTHREAD_STATE number (:data:`THREAD_STATES` names it)."""

    thread_id: int
    kthread: int
    state: int
    program_counter: int
    start_address: int
    stack_base: int
    stack_limit: int

    @property
    def state_name(self) -> str:
        """The state's name, or its number for a value the protocol does not name."""
        return THREAD_STATES.get(self.state, str(self.state))


@dataclass(frozen=True)
class MemoryRegion:
    """A QueryMemory answer: the region holding ``address`` (or the unmapped gap from it)."""

    address: int
    base: int
    size: int
    readable: bool
    writable: bool
    executable: bool
    kind: int

    @property
    def kind_name(self) -> str:
        """The region kind's name, or its number."""
        return REGION_KINDS.get(self.kind, str(self.kind))


@dataclass(frozen=True)
class Version:
    """GetVersion's DBGKD_GET_VERSION64 record."""

    major: int
    minor: int
    protocol_version: int
    secondary_version: int
    flags: int
    machine_type: int
    max_packet_type: int
    max_state_change: int
    max_manipulate: int
    simulation: int
    kern_base: int
    ps_loaded_module_list: int
    debugger_data_list: int
