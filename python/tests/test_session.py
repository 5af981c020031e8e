"""Sessions against a real kdserver: authentication, roles, execution control, memory, lists, symbols."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import swiftkd
from swiftkd import protocol as p
from swiftkd.events import BreakEvent

from server_process import Server, start_server

ABC_TAG = b"Abc "  # the dword 0x20636241, as `ed nt!poolhittag ' cbA'` stores it


# --- authentication and the hello ---------------------------------------------------------------------


def test_hello_reply_facts(server: Server) -> None:
    with server.connect() as session:
        assert session.role == "controller"
        assert session.server_name == "kdserver 0.1 (swift-kd)"
        assert session.max_payload == 32768
        assert session.window == 256
        assert session.break_stack_frames == 32
        assert session.session_id != 0


def test_wrong_fingerprint_is_refused(server: Server) -> None:
    wrong = "SHA256:" + ":".join(["00"] * 32)
    with pytest.raises(swiftkd.FingerprintMismatchError) as caught:
        swiftkd.connect(server.host, server.port, fingerprint=wrong)
    assert caught.value.found == server.fingerprint
    assert caught.value.expected == wrong
    with pytest.raises(ValueError):
        swiftkd.connect(server.host, server.port, fingerprint="AA:BB")


def test_cafile_verifies_the_self_signed_certificate(server: Server) -> None:
    with swiftkd.connect("localhost", server.port, cafile=server.state_dir / "server-selfsigned-cert.pem") as session:
        assert session.role == "controller"


def test_token_required_wrong_and_right(tmp_path: Path) -> None:
    token = "0123456789abcdef0123456789abcdef"
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    os.chmod(token_file, 0o600)
    guarded = start_server(tmp_path / "guarded", "--token-file", str(token_file))
    try:
        with pytest.raises(swiftkd.HelloRefusedError) as missing:
            guarded.connect()
        assert missing.value.status == p.STATUS_ACCESS_DENIED
        assert "hello refused" in missing.value.reason
        with pytest.raises(swiftkd.HelloRefusedError) as wrong:
            guarded.connect(token="ffffffffffffffffffffffffffffffff")
        assert wrong.value.status == p.STATUS_ACCESS_DENIED
        with guarded.connect(token_file=token_file) as session:
            assert session.role == "controller"
        with guarded.connect(token=token) as session:
            assert session.read(session.version().kern_base, 2) == b"MZ"
    finally:
        assert guarded.stop() == 0


# --- roles ------------------------------------------------------------------------------------------------


def test_observer_reads_but_changes_nothing(target: swiftkd.Target, server: Server) -> None:
    with pytest.raises(swiftkd.HelloRefusedError) as busy:
        server.connect()
    assert busy.value.status == p.STATUS_DEVICE_BUSY
    with server.connect(controller=False) as observer:
        assert observer.role == "observer"
        assert observer.halted and observer.current_break is not None
        tag = observer.symbol("nt!PoolHitTag")
        assert observer.read(tag, 4) == target.read(tag, 4)
        with pytest.raises(swiftkd.NtStatusError) as denied:
            observer.write(tag, ABC_TAG)
        assert denied.value.status == p.STATUS_PRIVILEGE_NOT_HELD
        with pytest.raises(swiftkd.NtStatusError) as no_go:
            observer.go()
        assert no_go.value.status == p.STATUS_PRIVILEGE_NOT_HELD
        with pytest.raises(swiftkd.RefusedError) as no_break:
            observer.break_in()
        assert no_break.value.status == p.STATUS_PRIVILEGE_NOT_HELD
        # The observer sees the controller's breaks.
        target.go()
        controller_break = target.break_in()
        seen = observer.wait_break(10)
        assert seen == controller_break
        assert observer.halted


# --- execution control ------------------------------------------------------------------------------------


def test_break_in_go_wait_break(target: swiftkd.Target) -> None:
    target.go()
    assert not target.halted
    with pytest.raises(swiftkd.BreakTimeoutError):
        target.wait_break(0.2)  # nothing breaks a running target on its own while PoolHitTag is unset
    event = target.break_in()
    assert isinstance(event, BreakEvent)
    assert event.reason_name == "breakIn"
    assert event.exception_code == p.STATUS_BREAKPOINT
    assert event.pc == event.exception_address == event.registers.eip
    assert event.frames and event.frames[0].instruction_pointer == event.pc
    assert target.halted and target.current_break == event
    assert target.registers() == event.registers
    assert target.read(event.pc, len(event.instruction_bytes)) == event.instruction_bytes
    with pytest.raises(swiftkd.RefusedError) as again:
        target.break_in()
    assert again.value.status == p.STATUS_INVALID_DEVICE_STATE


def test_break_in_without_waiting(target: swiftkd.Target) -> None:
    target.go()
    assert target.break_in(wait=False) is None
    assert target.wait_break(10).reason_name == "breakIn"


def test_step(target: swiftkd.Target) -> None:
    before = target.current_break
    assert before is not None
    for _ in range(3):
        event = target.step()
        assert event.reason_name == "singleStep"
        assert event.exception_code == p.STATUS_SINGLE_STEP
        assert event.thread == before.thread
        assert event.pc == target.registers().eip
        assert target.read(event.pc, len(event.instruction_bytes)) == event.instruction_bytes
    with pytest.raises(swiftkd.NtStatusError) as running:
        target.go()
        target.registers()
    assert running.value.status == p.STATUS_INVALID_DEVICE_STATE


def test_pool_hit_tag_breaks_in_abc(target: swiftkd.Target) -> None:
    """The walkthrough's step 4 from Python: PoolHitTag = 'Abc ', go, the break's stack runs through Abc."""
    hit_tag = target.symbol("nt!PoolHitTag")
    original = target.read(hit_tag, 4)
    target.write(hit_tag, ABC_TAG)
    try:
        assert target.read(hit_tag, 4) == ABC_TAG
        target.go()
        event = target.wait_break(30)
        assert event.reason_name == "hardcodedBreakpoint"
        assert event.exception_code == p.STATUS_BREAKPOINT
        names = [target.name_of(frame.instruction_pointer) for frame in event.frames]
        assert names[0].startswith(("nt!ExAllocatePoolWithTag+", "nt!ExFreePoolWithTag+"))
        abc = target.module("Abc")
        assert abc.image == "Abc.sys"
        in_abc = [name for frame, name in zip(event.frames, names) if abc.contains(frame.instruction_pointer)]
        assert in_abc and all(name.startswith("Abc!Abc") for name in in_abc)
        assert target.read(event.pc, 1) == b"\xcc"  # the int 3 the tag check executes
    finally:
        target.write(hit_tag, original)
    assert target.read(hit_tag, 4) == original


# --- memory -------------------------------------------------------------------------------------------------


def test_write_then_read_back(target: swiftkd.Target) -> None:
    hit_tag = target.symbol("nt!PoolHitTag")
    original = target.read(hit_tag, 8)
    target.write(hit_tag, b"\x01\x02\x03\x04\x05\x06\x07\x08")
    assert target.read(hit_tag, 8) == b"\x01\x02\x03\x04\x05\x06\x07\x08"
    target.write(hit_tag, original)
    assert target.read(hit_tag, 8) == original


def test_reads_larger_than_a_frame_are_pipelined(server: Server, target: swiftkd.Target) -> None:
    kernel = target.module("nt")
    region = target.query(kernel.base)
    assert region.kind_name == "image" and region.base == kernel.base
    whole = target.read(region.base, region.size)
    assert whole[:2] == b"MZ" and len(whole) == region.size
    with server.connect(controller=False, max_payload=1024) as small:
        assert small.max_payload == 1024
        assert small.read(region.base, region.size) == whole  # 17 requests of 968 bytes in flight


def test_short_read_raises_with_its_status(target: swiftkd.Target) -> None:
    kernel = target.module("nt")
    region = target.query(kernel.base)
    end = region.base + region.size
    assert not target.query(end).readable  # the next page is unmapped
    with pytest.raises(swiftkd.MemoryReadError) as partial:
        target.read(end - 16, 64)
    assert partial.value.status == p.STATUS_PARTIAL_COPY
    assert partial.value.data == target.read(end - 16, 16)
    assert partial.value.address + len(partial.value.data) == end
    with pytest.raises(swiftkd.MemoryReadError) as nothing:
        target.read(end, 4)
    assert nothing.value.status == p.STATUS_ACCESS_VIOLATION and nothing.value.data == b""
    with pytest.raises(swiftkd.MemoryReadError) as above:
        target.read(0x1_0000_0000, 4)
    assert above.value.status == p.STATUS_ACCESS_VIOLATION
    assert "0xC0000005 STATUS_ACCESS_VIOLATION" in str(above.value)


def test_search(target: swiftkd.Target) -> None:
    kernel = target.module("nt")
    assert target.search(kernel.base, kernel.size, b"MZ") == kernel.base
    hit_tag = target.symbol("nt!PoolHitTag")
    original = target.read(hit_tag, 4)
    marker = b"\x5a\xc3\x17\xe9"
    target.write(hit_tag, marker)
    try:
        assert target.search(kernel.base, 0x1_0000_0000 - kernel.base, marker) == hit_tag
        assert target.search(hit_tag + 4, 64, marker) is None
    finally:
        target.write(hit_tag, original)
    with pytest.raises(ValueError):
        target.search(kernel.base, 16, b"")


# --- modules, symbols, threads --------------------------------------------------------------------------


def test_modules_symbols_threads(target: swiftkd.Target) -> None:
    modules = target.modules()
    kernel = modules[0]
    assert (kernel.name, kernel.image, kernel.base) == ("nt", "ntoskrnl.exe", target.version().kern_base)
    assert {"Abc.sys", "Tron.sys", "IoN7.sys", "Gla5.sys", "Ggb.sys"} <= {m.image for m in modules}
    symbols = target.symbols("Abc")
    log_event = next(s for s in symbols if s.name == "AbcLogEvent")
    assert log_event.kind == "function" and target.module("Abc").contains(log_event.address)
    assert target.symbol("abc!abclogevent") == log_event.address
    assert target.symbol("AbcLogEvent") == log_event.address
    hit_tag = next(s for s in target.symbols("nt") if s.name == "PoolHitTag")
    assert hit_tag.kind == "data"
    assert target.name_of(log_event.address + 5) == "Abc!AbcLogEvent+0x5"
    with pytest.raises(swiftkd.SymbolNotFoundError):
        target.symbol("nt!NoSuchSymbol")
    with pytest.raises(swiftkd.SymbolNotFoundError):
        target.symbols("NoSuchModule")
    threads = target.threads()
    assert len({t.kthread for t in threads}) == len(threads) > 1
    running = [t for t in threads if t.state_name == "running"]
    assert len(running) == 1 and running[0].kthread == target.current_break.thread  # type: ignore[union-attr]
    frames = target.stack(running[0].kthread, 8)
    assert frames and frames[0].instruction_pointer == target.current_break.pc  # type: ignore[union-attr]


# --- closing ----------------------------------------------------------------------------------------------


def test_context_manager_sends_goodbye(server: Server) -> None:
    with server.connect(client_name="goodbye-test") as session:
        assert not session.closed
    assert session.closed
    with pytest.raises(swiftkd.SessionClosedError):
        session.modules()
    session.close()  # idempotent
    detached = [line for line in server.log().splitlines() if "client=goodbye-test" in line and "client detached" in line]
    assert len(detached) == 1 and 'reason="client closing"' in detached[0]  # the server got our GOODBYE's reason
    with server.connect() as again:  # the controller role is free again at once
        assert again.role == "controller"


def test_server_shutdown_is_a_goodbye(tmp_path: Path) -> None:
    own = start_server(tmp_path / "short-lived")
    session = own.connect()
    assert own.stop() == 0
    with pytest.raises(swiftkd.SessionClosedError) as closed:
        session.modules()
    assert closed.value.status == p.STATUS_SYSTEM_SHUTDOWN
    session.close()


# --- mutual TLS -----------------------------------------------------------------------------------------


def make_ca_and_client(directory: Path, name: str) -> None:
    """A CA and a client certificate it issued (EC P-256), made with the openssl command."""
    directory.mkdir(parents=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    steps = [
        ["req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", f"/CN={name}-ca"],
        ["req", *ec, "-keyout", "client.key", "-out", "client.csr", "-subj", f"/CN={name}-client"],
        ["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "client.pem", "-days", "2"],
    ]
    for step in steps:
        subprocess.run(["openssl", *step], cwd=directory, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make certificates")
def test_mutual_tls(tmp_path: Path) -> None:
    make_ca_and_client(tmp_path / "trusted", "trusted")
    make_ca_and_client(tmp_path / "other", "other")
    guarded = start_server(tmp_path / "mtls", "--client-ca", str(tmp_path / "trusted" / "ca.pem"))
    try:
        with pytest.raises(swiftkd.ConnectError) as no_certificate:
            guarded.connect()
        assert not isinstance(no_certificate.value, swiftkd.HelloRefusedError)  # a TLS alert, no frame
        assert "certificate required" in str(no_certificate.value)
        with pytest.raises(swiftkd.ConnectError):
            guarded.connect(certfile=tmp_path / "other" / "client.pem", keyfile=tmp_path / "other" / "client.key")
        with guarded.connect(certfile=tmp_path / "trusted" / "client.pem", keyfile=tmp_path / "trusted" / "client.key") as session:
            assert session.role == "controller"
    finally:
        assert guarded.stop() == 0
