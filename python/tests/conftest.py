"""Fixtures: one real kdserver per test module (server_process.py), and a controller session on it."""

from __future__ import annotations

from typing import Iterator

import pytest
from server_process import Server, start_server

import swiftkd


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One kdserver (default scenario) for the tests of a module; it must stop cleanly on SIGTERM."""
    running = start_server(tmp_path_factory.mktemp("kdserver"))
    yield running
    assert running.stop() == 0, running.log()


@pytest.fixture
def target(server: Server) -> Iterator[swiftkd.Target]:
    """A controller session on a halted target (broken in if it was running), closed after the test."""
    session = server.connect()
    if not session.halted:
        session.break_in()
    yield session
    session.close()
