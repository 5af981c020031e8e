"""The walkthrough's PoolHitTag step (docs/WALKTHROUGH.md, section 4) from Python, with swiftkd.

Usage: python3 Examples/poolhittag.py HOST PORT FINGERPRINT [BREAKS]
Sets nt!PoolHitTag to 'Abc ', lets the target run to BREAKS (default 3) hard-coded breaks, prints each
stack as `kb` does, checks that each one runs through the Abc driver, then puts the old tag back.
"""

import sys

import swiftkd


def main() -> int:
    host, port, fingerprint = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    breaks = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    with swiftkd.connect(host, port, fingerprint=fingerprint) as target:
        print(f"attached: {target.role}, session {target.session_id}, {target.server_name}")
        if not target.halted:
            event = target.break_in()
            print(f"broke in at {target.name_of(event.pc)}")
        hit_tag = target.symbol("nt!PoolHitTag")
        original = target.read(hit_tag, 4)
        print(f"nt!PoolHitTag at {hit_tag:08x}: {original.hex(' ')}")
        target.write(hit_tag, b"Abc ")
        print(f"nt!PoolHitTag at {hit_tag:08x}: {target.read(hit_tag, 4).hex(' ')} ({target.read(hit_tag, 4)!r})")
        abc = target.module("Abc")
        try:
            for _ in range(breaks):
                target.go()
                event = target.wait_break(timeout=30)
                print(f"\nBreak ({event.reason_name}) - code {event.exception_code:08x}"
                      f" ({'first' if event.first_chance else 'second'} chance) at {target.name_of(event.pc)}")
                print("ChildEBP RetAddr  Args to Child")
                for frame in event.frames:
                    args = " ".join(f"{a:08x}" for a in frame.args[:3])
                    print(f"{frame.child_ebp:08x} {frame.return_address:08x} {args} {target.name_of(frame.instruction_pointer)}")
                callers = [f for f in event.frames if abc.contains(f.instruction_pointer)]
                print(f"frames in {abc.image} ({abc.base:08x}-{abc.end:08x}): {len(callers)}")
                if not callers:
                    return 1
        finally:
            target.write(hit_tag, original)
            print(f"\nnt!PoolHitTag restored: {target.read(hit_tag, 4).hex(' ')}; the target stays halted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
