"""swiftkd: a pure-Python client for swift-kd's kdserver (docs/PROTOCOL.md), standard library only.

>>> import swiftkd
>>> with swiftkd.connect("127.0.0.1", 7725, fingerprint="SHA256:26:6A:...") as target:  # doctest: +SKIP
...     target.break_in()
...     print(target.read(target.symbol("nt!PoolHitTag"), 4))

:func:`connect` returns a :class:`Target`; :mod:`swiftkd.kd` drives the ``kd`` debugger for its commands.
"""

from . import errors, events, records, target
from .errors import *  # noqa: F401,F403  (each module lists its public names in __all__)
from .events import *  # noqa: F401,F403
from .records import *  # noqa: F401,F403
from .target import *  # noqa: F401,F403

__version__ = "0.1.0"

__all__ = [*target.__all__, *events.__all__, *records.__all__, *errors.__all__]
