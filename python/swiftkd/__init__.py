"""swiftkd: a pure-Python client for swift-kd's kdserver (docs/PROTOCOL.md), standard library only.

>>> import swiftkd
>>> with swiftkd.connect("127.0.0.1", 7725, fingerprint="SHA256:26:6A:...") as target:  # doctest: +SKIP
...     target.break_in()
...     print(target.read(target.symbol("nt!PoolHitTag"), 4))

:func:`connect` returns a :class:`Target`; :mod:`swiftkd.kd` drives the ``kd`` debugger for its commands.
"""

from . import errors, events, records, target
from .errors import *  # noqa: F401,F403  (every exception, listed in errors.__all__)
from .events import BreakEvent, DebugOutput, LoadSymbolsEvent, Registers, RunningEvent, StackFrame
from .records import MemoryRegion, Module, Symbol, Thread, Version
from .target import Target, connect, parse_fingerprint

__version__ = "0.1.0"

__all__ = [
    *target.__all__,
    *[name for name in events.__all__ if name != "BREAK_REASONS"],
    *[name for name in records.__all__ if not name.endswith("S")],
    *errors.__all__,
]
