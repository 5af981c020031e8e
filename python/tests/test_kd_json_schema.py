"""`kd --json` against docs/kd-json.schema.json: every registered command, run through the real kd binary's
line-oriented JSON REPL (stdin piped) against the embedded target, gives lines the schema accepts
(jsonschema, draft 2020-12). The command list comes from kd itself (`.help`'s JSON result lists the registry),
so a command added to kd without an invocation here fails the test."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import jsonschema
import pytest
from server_process import binary

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "kd-json.schema.json"

# One or more representative invocations per registered command, keyed by the command's first name in `.help`.
# `{dir}` is a temporary directory. Order matters: they run in this order in one session.
INVOCATIONS: Dict[str, List[str]] = {
    ".help": [".help"],
    "?": ["? nt!PoolHitTag", "?"],
    ".formats": [".formats 804d7000"],
    "d": ["db nt!PoolHitTag L8", "dd nt!PoolHitTag L4", "da nt!KiIdleLoop L8", "dd nosuch"],
    "dds": ["dds esp L4", "dps esp L2"],
    "eb": ["ed nt!PoolHitTag 0"],
    "s": ["s -d nt!PoolHitTag L8 0"],
    ".reload": [".reload"],
    "lm": ["lm", "lmv m nt"],
    "x": ["x nt!Ex*"],
    "ln": ["ln eip"],
    "k": ["kb", "kn 2"],
    "kd": ["kd 4"],
    ".frame": [".frame 0"],
    ".kframes": [".kframes 20"],
    "r": ["r", "r eip"],
    "u": ["u eip L2"],
    "ub": ["ub eip L2"],
    "bp": ["bp nt!ExAllocatePoolWithTag"],
    "ba": ["ba w4 nt!PoolHitTag"],
    "bu": ["bu Later!Start"],
    "bm": ["bm nt!ExFreePool*"],
    "bl": ["bl"],
    "be": ["bd 2", "be 2"],
    "g": ["g"],
    "gu": ["gu"],
    "p": ["p", "t"],
    "pc": ["pc"],
    "wt": ["wt -ns"],
    "bc": ["bc *"],
    "~Ns": ["~0s"],
    ".runfor": [".runfor 0.2"],
    ".lastevent": [".lastevent"],
    ".bpcmds": [".bpcmds"],
    ".time": [".time"],
    ".sympath": [".sympath"],
    "!poolused": ["!poolused 4", "!poolused 1 Abc"],
    "!poolfind": ["!poolfind Abc 1"],
    "!pool": ["!pool poi(nt!MmPagedPoolStart)"],
    "!poolval": ["!poolval poi(nt!MmPagedPoolStart)"],
    "!poolsites": ["!poolsites Abc"],
    "!tagsplit": ["!tagsplit"],
    "!pooltrace": ["!pooltrace status"],
    "!poolscan": ["!poolscan Abc", "!poolscan"],
    "!gflag": ["!gflag"],
    "!poolmon": ["!poolmon", "!poolmon /b"],
    "!analyze": ["!analyze -v"],
    "!verifier": ["!verifier", "!verifier 0x80 4"],
    ".verifier": [".verifier /flags 0x8 /driver Abc.sys", ".verifier"],
    ".unload": [".unload Ggb.sys"],
    "vertarget": ["vertarget"],
    ".logopen": [".logopen {dir}/kd.log", ".logclose"],
    "$<": ["$<{dir}/script.kd"],
    ".cls": [".cls"],
    ".echo": [".echo hello"],
    ".printf": ['.printf "%p %ma\\n", nt!PoolHitTag, nt!NtBuildLab'],
    ".if": [".if (1) {{ ? 1 }} .else {{ ? 2 }}", ".for (r $t0 = 0; @$t0 < 2; r $t0 = @$t0 + 1) {{ ? @$t0 }}"],
    ".reboot": [".reboot", ".runfor 0.2"],
    "q": ["q"],
}
# Run with -c rather than through the REPL: after `.reboot` the console, like KD, shows no prompt until the
# target breaks, and nothing here makes it break.
SCRIPTED = {".reboot"}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def kd_json(stdin: str, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real kd, embedded target, `--json`, commands on stdin (the JSON REPL)."""
    return subprocess.run(
        [binary("KD", "kd"), "--json", "--timeout", "60", *extra],
        input=stdin, capture_output=True, text=True, timeout=timeout, check=False,
    )


def parse(stdout: str) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def registered_commands() -> List[List[str]]:
    """The registry, as kd's own `.help` lists it in JSON."""
    done = kd_json(".help\nq\n")
    helps = [o for o in parse(done.stdout) if o.get("name") == ".help"]
    assert len(helps) == 1, done.stdout
    return [entry["names"] for entry in helps[0]["result"]["commands"]]


def test_every_registered_command_has_an_invocation_here() -> None:
    missing = [names for names in registered_commands() if names[0] not in INVOCATIONS]
    assert not missing, f"add representative invocations for {missing} to INVOCATIONS"


def test_every_command_and_event_line_matches_the_schema(
    validator: jsonschema.Draft202012Validator, tmp_path: Path
) -> None:
    (tmp_path / "script.kd").write_text("? 2\nr esp\n")  # not among the REPL lines, so the order check sees each once
    registered = registered_commands()
    lines = [line.format(dir=tmp_path) for names in registered for line in INVOCATIONS.get(names[0], [])]
    # The order of INVOCATIONS, not of the registry: breakpoints before `g`, `q` last.
    order = [line.format(dir=tmp_path) for key, lines_ in INVOCATIONS.items() if key not in SCRIPTED for line in lines_]
    scripted = [line for key in SCRIPTED for line in INVOCATIONS[key]]
    assert sorted(lines) == sorted(order + scripted)
    done = kd_json("\n".join(order) + "\n")
    assert done.returncode == 0, done.stderr
    by_c = kd_json("", "-c", "; ".join(scripted))
    assert by_c.returncode == 0, by_c.stderr
    objects = parse(done.stdout) + parse(by_c.stdout)
    order += scripted
    errors = {
        i: [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(o)]
        for i, o in enumerate(objects)
    }
    bad = {i: (objects[i].get("command") or objects[i].get("event"), e) for i, e in errors.items() if e}
    assert not bad, bad
    commands = [o for o in objects if o["type"] == "command"]
    # Every invocation answered once, in order (`$<` adds its own lines' results first).
    # `$<file`, `.if` and `.for` have no line of their own: the commands they run answer in their place.
    own = [c for c in order if not c.startswith(("$<", ".if", ".for"))]
    assert [o["command"] for o in commands if o["command"] in own] == own
    ran = {o["name"] for o in commands}
    for names in registered:
        if names[0] in ("$<", ".if"):
            continue  # no line of their own (above)
        assert ran & set(names), f"no line for {names}"
    events = {o["event"] for o in objects if o["type"] == "event"}
    assert {"break", "running", "debug-print"} <= events, events
    # Spot checks of the typed results the schema describes.
    poolused = next(o for o in commands if o["command"] == "!poolused 4")
    assert any(e["tag"] == "Abc " for e in poolused["result"]["entries"])
    failed = next(o for o in commands if o["command"] == "dd nosuch")
    assert failed["ok"] is False and "nosuch" in failed["error"]
    poolmon = next(o for o in commands if o["command"] == "!poolmon")
    assert poolmon["result"]["rows"] and all("time" in r for r in poolmon["result"]["rows"])


def test_the_schema_rejects_a_field_of_the_wrong_type(validator: jsonschema.Draft202012Validator) -> None:
    objects = parse(kd_json("!poolused 4\ndb nt!PoolHitTag L4\nkb\n!poolmon\nlm\nx nt!Ex*\nq\n").stdout)
    good = {o.get("command") or o.get("event"): o for o in objects}
    for o in good.values():
        validator.validate(o)

    def rejected(key: str, change: Any) -> bool:
        o = copy.deepcopy(good[key])
        change(o)
        return not validator.is_valid(o)

    assert rejected("!poolused 4", lambda o: o["result"]["entries"][0].update(tag=0x20636241))
    assert rejected("!poolused 4", lambda o: o["result"]["entries"][0].update(tag="Abc"))
    assert rejected("!poolused 4", lambda o: o["result"]["entries"][0].update(pagedBytes="0x10"))
    assert rejected("db nt!PoolHitTag L4", lambda o: o["result"].update(address=0x804DA000))
    assert rejected("kb", lambda o: o["result"]["frames"][0].update(returnAddress=1))
    assert rejected("break", lambda o: o["result"]["event"].update(pc=0x804D81E0))
    assert rejected("break", lambda o: o["result"]["event"]["context"].update(eip="804d81e0"))
    assert rejected("!poolmon", lambda o: o["result"]["rows"][0].pop("time"))
    assert rejected("lm", lambda o: o["result"]["rows"][0].update(start=0x804D7000))
    assert rejected("lm", lambda o: o.update(schema=2))
    assert rejected("lm", lambda o: o.update(ok="true"))
    assert rejected("lm", lambda o: o.update(time="2026-12-07 17:00:00"))
    # Commands without a typed schema still may not carry an address or a tag as an integer.
    assert rejected("x nt!Ex*", lambda o: o["result"]["rows"][0].update(address=0x804D8000))


def test_json_repl_answers_each_line_before_the_next_is_written() -> None:
    kd = subprocess.Popen(
        [binary("KD", "kd"), "--json"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert kd.stdin is not None and kd.stdout is not None
    try:
        def next_command() -> Dict[str, Any]:
            while True:  # the embedded target's initial break, and what it printed before it, come first
                line = json.loads(kd.stdout.readline())
                if line["type"] == "command":
                    return line

        for expression, value in (("1+1", "0x2"), ("0x10*2", "0x20")):
            kd.stdin.write(f"? {expression}\n")
            kd.stdin.flush()
            line = next_command()
            assert (line["type"], line["command"], line["result"]["value"]) == ("command", f"? {expression}", value)
        kd.stdin.write("q\n")
        kd.stdin.flush()
        assert next_command()["command"] == "q"
        assert kd.wait(timeout=30) == 0
    finally:
        if kd.poll() is None:
            kd.kill()
            kd.wait()


def test_stop_on_error_ends_the_repl_with_status_1() -> None:
    stopped = kd_json("? 1\ndd nosuch\n? 2\n", "--stop-on-error")
    assert stopped.returncode == 1, stopped.stderr
    assert [o["command"] for o in parse(stopped.stdout) if o["type"] == "command"] == ["? 1", "dd nosuch"]
    went_on = kd_json("? 1\ndd nosuch\n? 2\n")
    assert went_on.returncode == 0, went_on.stderr
    assert [o["command"] for o in parse(went_on.stdout) if o["type"] == "command"] == ["? 1", "dd nosuch", "? 2"]
    script = kd_json("", "--stop-on-error", "-c", "? 1; dd nosuch; ? 2")
    assert script.returncode == 1
    assert [o["command"] for o in parse(script.stdout) if o["type"] == "command"] == ["? 1", "dd nosuch"]


def test_kd_poolmon_samples_are_poolmon_event_lines(validator: jsonschema.Draft202012Validator) -> None:
    done = subprocess.run(
        [binary("KD", "kd"), "--json", "poolmon", "--count", "2", "--interval", "0.1"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    samples = [o for o in parse(done.stdout) if o.get("event") == "poolmon"]
    assert len(samples) == 2
    for sample in samples:
        validator.validate(sample)
        assert {row["time"] for row in sample["result"]["rows"]} == {sample["time"]}


def test_a_bug_check_is_a_bugcheck_event_line(validator: jsonschema.Draft202012Validator) -> None:
    done = kd_json("!analyze\nq\n", "--scenario", "faultBugCheck")
    assert done.returncode == 0, done.stderr
    objects = parse(done.stdout)
    for o in objects:
        validator.validate(o)
    bugcheck = next(o for o in objects if o.get("event") == "bugcheck")
    assert bugcheck["result"]["event"]["kind"] == "bugCheck"
    analyze = next(o for o in objects if o.get("command") == "!analyze")
    event = bugcheck["result"]["event"]
    assert (analyze["result"]["code"], analyze["result"]["arguments"]) == (event["exceptionCode"], event["parameters"])


def test_driver_verifier_lines_match_the_schema(validator: jsonschema.Draft202012Validator) -> None:
    """`!verifier 3` and `!verifier 0x80` with a verified driver that has allocations outstanding, then the 0xC4 /
    0x62 bug check `.unload` ends in."""
    script = "bp nt!ExFreePoolWithTag 300\ng\nbc *\n!verifier 3 Abc.sys\n!verifier 0x80 2\n.unload Abc.sys\ng\n!analyze -v\nq\n"
    done = kd_json(script, "--verifier", "Abc.sys:0x8")
    assert done.returncode == 0, done.stderr
    objects = parse(done.stdout)
    for o in objects:
        validator.validate(o)
    listing = next(o for o in objects if o.get("command") == "!verifier 3 Abc.sys")["result"]
    driver = listing["drivers"][0]
    assert driver["driver"]["name"] == "Abc.sys" and driver["loaded"]
    assert len(driver["allocations"]) == driver["driver"]["pool"]["currentPagedAllocations"] > 0
    assert all(a["tag"] == "Abc " and a["address"].startswith("0x") for a in driver["allocations"])
    log = next(o for o in objects if o.get("command") == "!verifier 0x80 2")["result"]
    assert len(log["records"]) == 2 and all(r["record"]["frames"] for r in log["records"])
    bugcheck = next(o for o in objects if o.get("event") == "bugcheck")
    assert bugcheck["result"]["event"]["parameters"][0] == "0x00000062"
