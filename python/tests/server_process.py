"""A real kdserver process for the tests: port 0, its own --state-dir, stopped with SIGTERM.

The binaries come from $KDSERVER and $KD (scripts/test-python.sh sets them), else from PATH.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List

import swiftkd
from swiftkd.kd import Kd

START_LINE = re.compile(r"fingerprint=(SHA256:[0-9A-F:]+).*listening on (\S+):(\d+)")


def binary(variable: str, name: str) -> str:
    """The path of a swift-kd binary: $VARIABLE, else NAME on PATH."""
    path = os.environ.get(variable) or shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError(f"set {variable} to the {name} binary (scripts/test-python.sh does)")
    return path


@dataclass
class Server:
    """A running kdserver: where it listens, its certificate fingerprint, its stderr log."""

    process: "subprocess.Popen[bytes]"
    host: str
    port: int
    fingerprint: str
    log_path: Path
    state_dir: Path

    def connect(self, **options: object) -> swiftkd.Target:
        """A session pinned to this server's certificate."""
        return swiftkd.connect(self.host, self.port, fingerprint=self.fingerprint, **options)  # type: ignore[arg-type]

    def kd(self, **options: object) -> Kd:
        """The kd helper pointed at this server."""
        return Kd(self.host, self.port, fingerprint=self.fingerprint, kd_path=binary("KD", "kd"), **options)  # type: ignore[arg-type]

    def log(self) -> str:
        """Everything the server wrote to stderr so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, then its exit status (0 when it stopped cleanly)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def start_server(directory: Path, *extra: str) -> Server:
    """Start kdserver on 127.0.0.1 port 0 with its own state directory; wait for its start line."""
    directory.mkdir(parents=True, exist_ok=True)
    state = directory / "state"
    log_path = directory / "kdserver.log"
    argv: List[str] = [binary("KDSERVER", "kdserver"), "--listen", "127.0.0.1:0", "--state-dir", str(state), *extra]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        match = START_LINE.search(log_path.read_text(errors="replace"))
        if match:
            return Server(process, match.group(2), int(match.group(3)), match.group(1), log_path, state)
        if process.poll() is not None:
            raise RuntimeError(f"kdserver exited with {process.returncode}: {log_path.read_text()}")
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"kdserver printed no start line in 120 s: {log_path.read_text()}")
