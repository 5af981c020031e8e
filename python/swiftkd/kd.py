"""Drive the ``kd`` debugger as a subprocess for its command layer (``!poolused``, ``kb``, ``!poolfind``, ...).

Each :meth:`Kd.run` starts ``kd --connect HOST:PORT ... --json -c COMMANDS``, which attaches to the same
kdserver, runs the commands and exits; every line kd prints is one JSON object
(``{"command", "ok", "result", "error", "event", "text"}``, docs/COMMANDS.md) and comes back as a
:class:`KdResult`. kd attaches as a controller unless ``observe=True``: while a :class:`swiftkd.Target`
holds the controller role, use an observer (or close the Target first).

>>> from swiftkd.kd import Kd
>>> kd = Kd("127.0.0.1", 7725, fingerprint="SHA256:26:6A:...")   # doctest: +SKIP
>>> [r.result for r in kd.run("!poolused 4")]                    # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from .errors import KdError

__all__ = ["Kd", "KdResult"]

#: kd's exit statuses (docs/COMMANDS.md, "Command line").
EXIT_STATUSES = {
    0: "ok",
    1: "a command failed",
    64: "usage error",
    66: "--script file not found",
    68: "unknown host",
    69: "connection refused or unreachable",
    74: "connection lost",
    75: "timed out",
    76: "TLS verification failed",
    77: "authentication refused",
    78: "a local file or setting cannot be used",
}


@dataclass(frozen=True)
class KdResult:
    """One JSON line kd printed (docs/COMMANDS.md, "JSON"): the command (``""`` for an event line), whether it
    succeeded, its structured result, the error text, the break event (for ``break``/``bugcheck`` event lines),
    KD's text lines, and ``kind``: ``"command"`` or the event's name (``break``, ``bugcheck``, ``running``,
    ``debug-print``)."""

    command: str
    ok: bool
    result: Any
    error: Optional[str]
    event: Optional[Dict[str, Any]]
    text: List[str] = field(default_factory=list)
    raw: Dict[str, Any] = field(default_factory=dict)
    kind: str = "command"

    @classmethod
    def from_json(cls, obj: Dict[str, Any]) -> "KdResult":
        """Build a result from one decoded JSON line (missing keys are None or empty)."""
        text = obj.get("text") or []
        result = obj.get("result")
        kind = str(obj.get("event", "")) if obj.get("type") == "event" else "command"
        event = result.get("event") if kind in ("break", "bugcheck") and isinstance(result, dict) else None
        return cls(
            command=str(obj.get("command", "")),
            ok=bool(obj.get("ok", obj.get("error") is None)),
            result=result,
            error=obj.get("error"),
            event=event,
            text=[str(line) for line in text] if isinstance(text, list) else [str(text)],
            raw=obj,
            kind=kind,
        )


class Kd:
    """Connection settings for running ``kd`` against a kdserver.

    ``kd_path`` defaults to ``$KD``, else ``kd`` on ``PATH``. The TLS and token options are passed to kd as
    its ``--fingerprint``/``--ca``/``--cert``/``--key``/``--token-file`` options.
    """

    def __init__(
        self,
        host: str,
        port: int,
        fingerprint: Optional[str] = None,
        token_file: Union[str, Path, None] = None,
        cafile: Union[str, Path, None] = None,
        certfile: Union[str, Path, None] = None,
        keyfile: Union[str, Path, None] = None,
        *,
        observe: bool = False,
        kd_path: Union[str, Path, None] = None,
    ) -> None:
        if fingerprint is None and cafile is None:
            raise ValueError("give the server's fingerprint or a cafile to verify it")
        self.kd_path = str(kd_path or os.environ.get("KD") or shutil.which("kd") or "kd")
        self.args: List[str] = ["--connect", f"{host}:{port}"]
        for flag, value in (
            ("--fingerprint", fingerprint),
            ("--ca", cafile),
            ("--cert", certfile),
            ("--key", keyfile),
            ("--token-file", token_file),
        ):
            if value is not None:
                self.args += [flag, str(value)]
        if observe:
            self.args.append("--observe")

    def command_line(self, commands: str, break_in: bool = False, timeout: Optional[float] = None) -> List[str]:
        """The argv :meth:`run` executes."""
        argv = [self.kd_path, *self.args, "--json", "-c", commands]
        if break_in:
            argv.append("-b")
        if timeout is not None:
            argv += ["--timeout", f"{timeout:g}"]
        return argv

    def run(
        self,
        commands: str,
        *,
        break_in: bool = False,
        timeout: Optional[float] = 60.0,
        check: bool = False,
    ) -> List[KdResult]:
        """Run ``;``-separated kd commands and return one :class:`KdResult` per JSON line kd printed.

        ``break_in`` is kd's ``-b``: the first result is then the attach break (command ``""`` with its
        event). ``timeout`` is kd's ``--timeout`` (waiting for breaks included); the process itself is
        given 30 s more. Raises :class:`~swiftkd.errors.KdError` when kd exits with a status other than 0 and 1 (no
        connection) or 3 (timeout), prints a line that is not JSON, or, with ``check``, when a command
        failed (``ok`` false).
        """
        argv = self.command_line(commands, break_in=break_in, timeout=timeout)
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=None if timeout is None else timeout + 30,
                check=False,
            )
        except FileNotFoundError as error:
            raise KdError(f"cannot run {self.kd_path}: {error}") from error
        except subprocess.TimeoutExpired as error:
            raise KdError(f"kd did not finish within {error.timeout:g} s") from error
        results: List[KdResult] = []
        for number, line in enumerate(done.stdout.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as error:
                raise KdError(f"kd output line {number} is not JSON ({error}): {line[:200]!r}", done.returncode, done.stderr) from None
            if not isinstance(obj, dict):
                raise KdError(f"kd output line {number} is not a JSON object: {line[:200]!r}", done.returncode, done.stderr)
            results.append(KdResult.from_json(obj))
        if done.returncode not in (0, 1):
            meaning = EXIT_STATUSES.get(done.returncode, "unexpected exit status")
            raise KdError(f"kd exited with status {done.returncode} ({meaning})", done.returncode, done.stderr)
        if check:
            failed = next((r for r in results if not r.ok), None)
            if failed is not None:
                raise KdError(f"kd command {failed.command!r} failed: {failed.error}", done.returncode, done.stderr)
        return results
