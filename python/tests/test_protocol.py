"""The codec on the bytes docs/PROTOCOL.md section 16 gives, on malformed input, and on mutations of real
frames captured from a kdserver: untrusted bytes raise ProtocolError (with an offset) or decode, nothing else."""

from __future__ import annotations

import random
import socket
import ssl
import struct
from typing import List

import pytest

from swiftkd import ProtocolError
from swiftkd import protocol as p
from swiftkd.events import BreakEvent

from server_process import Server

DOC_HELLO = bytes.fromhex(
    "30303030 20001a00 01000000 d4000000 01000000 02000000 00000000 00000000 02000000 00000000 6b64aa"
)
DOC_HELLO_REPLY = bytes.fromhex(
    "30303030 21003f00 01000000 6b080000 01000000 00000000 01000000 00800000"
    "20000000 01000000 01000000 00000000 17000001 00000000 6b647365 72766572"
    "20302e31 20287377 6966742d 6b6429aa"
)
DOC_READ = bytes.fromhex(
    "30303030 02003800 02000000 a9020000 30310000 00000000 03010000 00000000"
    "c8a35580 00000000 04000000 00000000" + "00" * 24 + "aa"
)
DOC_READ_REPLY = bytes.fromhex(
    "30303030 02003c00 02000000 cf030000 30310000 00000000 00000000 00000000"
    "c8a35580 00000000 04000000 04000000" + "00" * 24 + "41626320 aa"
)


def frames_of(data: bytes) -> List[p.Frame]:
    decoder = p.FrameDecoder()
    decoder.feed(data)
    out = []
    while True:
        frame = decoder.next_frame()
        if frame is None:
            assert decoder.buffered == 0
            return out
        out.append(frame)


def test_the_documented_exchange() -> None:
    assert p.encode_data(p.HELLO, 1, p.encode_hello(p.HELLO_WANT_CONTROLLER, 0, 0, "kd", b"")) == DOC_HELLO
    reply = p.decode_hello_reply(frames_of(DOC_HELLO_REPLY)[0].payload)
    assert (reply.status, reply.role, reply.max_payload, reply.break_stack_frames) == (0, 1, 32768, 32)
    assert (reply.session_id, reply.target_state, reply.window) == (1, p.TARGET_RUNNING, 256)
    assert reply.server_name == "kdserver 0.1 (swift-kd)" and reply.break_event is None
    assert p.encode_data(p.KD_STATE_MANIPULATE, 2, p.read_request(0x8055A3C8, 4)) == DOC_READ
    frame = frames_of(DOC_READ_REPLY)[0]
    read = p.decode_manipulate(frame.packet_id, frame.payload)
    assert (read.packet_id, read.operation, read.status) == (2, "ReadVirtualMemory", p.STATUS_SUCCESS)
    assert p.decode_read(read) == b"Abc "


def test_frames_split_anywhere_decode_the_same() -> None:
    stream = DOC_HELLO_REPLY + DOC_READ_REPLY + p.encode_control(p.KD_ACKNOWLEDGE, 7)
    for cut in range(len(stream)):
        decoder = p.FrameDecoder()
        decoder.feed(stream[:cut])
        got = []
        while (frame := decoder.next_frame()) is not None:
            got.append(frame)
        decoder.feed(stream[cut:])
        while (frame := decoder.next_frame()) is not None:
            got.append(frame)
        assert got == frames_of(stream)


@pytest.mark.parametrize(
    "data, offset, expected, found",
    [
        (b"GET / HTTP/1.1\r\n", 0, "0x30303030, 0x69696969 or 0x62626262", 0x20544547),
        (DOC_READ_REPLY[:12] + b"\xd0\x03\x00\x00" + DOC_READ_REPLY[16:], 12, 0x3D0, 0x3CF),
        (DOC_READ_REPLY[:-1] + b"\xab", 76, 0xAA, 0xAB),
        (b"0000\x02\x00\x01\xf0" + b"\0" * 8, 6, p.HARD_MAX_PAYLOAD, 0xF001),
        (b"iiii\x04\x00\x01\x00" + b"\0" * 8, 6, 0, 1),
        (b"bbbb\x01\x00\x00\x00" + b"\0" * 8, 4, 0, 1),
    ],
)
def test_bad_frames_name_offset_expected_found(data: bytes, offset: int, expected: object, found: int) -> None:
    decoder = p.FrameDecoder()
    decoder.feed(data)
    with pytest.raises(ProtocolError) as caught:
        decoder.next_frame()
    assert (caught.value.offset, caught.value.expected, caught.value.found) == (offset, expected, found)


def test_bad_payloads_name_offset_expected_found() -> None:
    payload = frames_of(DOC_HELLO_REPLY)[0].payload
    with pytest.raises(ProtocolError) as truncated:
        p.decode_hello_reply(payload[:30])
    assert (truncated.value.offset, truncated.value.expected, truncated.value.found) == (16, 40, 30)
    with pytest.raises(ProtocolError) as longer:
        p.decode_hello_reply(payload + b"x")
    assert (longer.value.offset, longer.value.expected, longer.value.found) == (16, 63, 64)
    with pytest.raises(ProtocolError) as role:
        p.decode_hello_reply(payload[:8] + struct.pack("<I", 3) + payload[12:])
    assert (role.value.offset, role.value.found) == (24, 3)
    with pytest.raises(ProtocolError) as utf8:
        p.decode_hello_reply(payload[:41] + b"\xff" + payload[42:])
    assert (utf8.value.offset, utf8.value.found) == (57, 0xFF)
    assert "invalid UTF-8 in ServerName at offset 57" in str(utf8.value)
    with pytest.raises(ProtocolError) as reserved:
        p.decode_goodbye(struct.pack("<IHH", 0, 0, 1))
    assert (reserved.value.offset, reserved.value.expected, reserved.value.found) == (22, 0, 1)
    frame = frames_of(DOC_READ_REPLY)[0]
    cut = p.decode_manipulate(frame.packet_id, frame.payload[:-1])
    with pytest.raises(ProtocolError) as mismatch:
        p.decode_read(cut)
    assert mismatch.value.offset == 44  # ActualBytesRead


def raw_frames_from(server: Server, hello: bytes, requests: List[bytes]) -> List[p.Frame]:
    """What a real kdserver sends to a HELLO and some requests (our own raw TLS client)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((server.host, server.port), timeout=10) as raw:
        with context.wrap_socket(raw) as tls:
            tls.sendall(p.encode_data(p.HELLO, 1, hello))
            for number, payload in enumerate(requests, 2):
                tls.sendall(p.encode_data(p.KD_STATE_MANIPULATE, number, payload))
            tls.sendall(p.encode_data(p.GOODBYE, 99, p.encode_goodbye(0, "done")))
            decoder = p.FrameDecoder()
            frames: List[p.Frame] = []
            while len(frames) < 1 + len(requests):
                chunk = tls.recv(65536)
                assert chunk, "server closed early"
                decoder.feed(chunk)
                while (frame := decoder.next_frame()) is not None:
                    frames.append(frame)
            return frames


def test_mutated_real_frames_raise_only_protocol_errors(server: Server) -> None:
    """An observer on a halted target gets a HELLO_REPLY embedding a break event; every mutation of it and of
    real replies either decodes or raises ProtocolError with an offset inside the frame."""
    from swiftkd import connect

    with connect(server.host, server.port, fingerprint=server.fingerprint) as controller:
        if not controller.halted:
            controller.break_in()
        kern_base = controller.version().kern_base
        frames = raw_frames_from(
            server,
            p.encode_hello(0, 0, 0, "fuzz", b""),
            [
                p.list_request(p.API_LIST_MODULES, 0, 100),
                p.list_request(p.API_GET_SYMBOLS, 0, 50, module_base=kern_base),
                p.list_request(p.API_LIST_THREADS, 0, 100),
                p.stack_request(0, 16),
            ],
        )
    hello_reply = p.decode_hello_reply(frames[0].payload)
    assert isinstance(hello_reply.break_event, BreakEvent)
    decoders = [
        lambda b: p.decode_hello_reply(b),
        lambda b: p.decode_modules(p.decode_manipulate(0, b), kern_base),
        lambda b: p.decode_symbols(p.decode_manipulate(0, b)),
        lambda b: p.decode_threads(p.decode_manipulate(0, b)),
        lambda b: p.decode_stack(p.decode_manipulate(0, b)),
    ]
    rng = random.Random(1307)
    for frame, decode in zip(frames, decoders):
        decode(frame.payload)  # the real bytes decode
        for _ in range(400):
            mutated = bytearray(frame.payload)
            for _ in range(rng.randint(1, 4)):
                choice = rng.random()
                if choice < 0.6 and mutated:
                    mutated[rng.randrange(len(mutated))] = rng.randrange(256)
                elif choice < 0.8:
                    del mutated[rng.randrange(len(mutated) + 1) :]
                else:
                    mutated += bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
            try:
                decode(bytes(mutated))
            except ProtocolError as error:
                assert error.offset is not None and 0 <= error.offset <= 16 + len(mutated) + 320
            # any other exception fails the test


def test_public_names_and_typing_marker() -> None:
    import importlib.resources

    import swiftkd

    namespace: dict = {}
    exec("from swiftkd import *", namespace)
    assert {"connect", "Target", "BreakEvent", "ProtocolError", "MemoryReadError", "KdError"} <= set(namespace)
    assert all(hasattr(swiftkd, name) for name in swiftkd.__all__)
    assert importlib.resources.files("swiftkd").joinpath("py.typed").is_file()  # installed with the package
