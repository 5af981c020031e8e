"""swiftkd.kd drives a real `kd --json` subprocess against the same kdserver."""

from __future__ import annotations

from pathlib import Path

import pytest
from server_process import Server

import swiftkd
from swiftkd.kd import Kd

def test_poolused_through_kd_json(server: Server) -> None:
    with server.connect() as session:  # halt the target, then hand the controller role over
        if not session.halted:
            session.break_in()
    results = server.kd().run("!poolused 4", timeout=60, check=True)
    assert [r.command for r in results] == ["!poolused 4"]
    poolused = results[0]
    assert poolused.ok and poolused.error is None
    assert poolused.result["sort"] == "pagedBytes"
    entries = poolused.result["entries"]
    abc = next(e for e in entries if e["tag"] == "Abc ")
    assert abc["pagedAllocs"] > 0 and abc["pagedBytes"] > 0
    assert [e["pagedBytes"] for e in entries] == sorted((e["pagedBytes"] for e in entries), reverse=True)
    assert any(line.startswith(" Abc ") for line in poolused.text)


def test_observer_kd_beside_a_python_controller(server: Server) -> None:
    with server.connect() as session:
        if not session.halted:
            session.break_in()
        hit_tag = session.symbol("nt!PoolHitTag")
        results = server.kd(observe=True).run("dd nt!PoolHitTag L1; ed nt!PoolHitTag 1")
        assert [r.command for r in results] == ["dd nt!PoolHitTag L1", "ed nt!PoolHitTag 1"]
        assert results[0].ok and results[0].text[0].startswith(f"{hit_tag:08x}")
        assert not results[1].ok and "0xC0000061" in (results[1].error or "")
        with pytest.raises(swiftkd.KdError) as failed:
            server.kd(observe=True).run("ed nt!PoolHitTag 1", check=True)
        assert "0xC0000061" in str(failed.value)


def test_break_in_result_comes_first(server: Server) -> None:
    with server.connect() as session:
        if session.halted:
            session.go()
    results = server.kd().run("r eip", break_in=True, timeout=60)
    assert [r.command for r in results] == ["", "r eip"]
    assert results[0].event is not None and results[0].event["kind"] == "breakIn"
    assert results[1].ok


def test_kd_failures_are_typed(server: Server, tmp_path: Path) -> None:
    wrong = Kd(server.host, server.port, fingerprint="SHA256:" + ":".join(["00"] * 32), kd_path=server.kd().kd_path)
    with pytest.raises(swiftkd.KdError) as refused:
        wrong.run("r")
    assert refused.value.returncode == 76
    with pytest.raises(swiftkd.KdError) as missing:
        Kd(server.host, server.port, fingerprint=server.fingerprint, kd_path=tmp_path / "no-kd").run("r")
    assert missing.value.returncode is None
