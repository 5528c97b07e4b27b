#!/usr/bin/python3
"""hard_order_check.py - checks the order of the spool's system calls in
an strace -f -y log (issue 19 item 4: the power-loss rows of tests/README's
crash-window table are argued from this order).

usage: hard_order_check.py LOG STEP...

Each STEP is "op:dir[:name]" and must appear in the log in the order given
(other calls may come between them):
  op    rename (dir = the target directory, name = the target name),
        renamefrom (dir and name of the source: the same call),
        unlink, fsync, close (of a file: its directory and name),
        connect (dir and name ignored: "connect:-")
  dir   the spool subdirectory's last path component (queue, dead, new),
        or "bucket" for any bucket of deferred/ (YYYYMMDDHHMM)
  name  a name or a suffix after '*' ("*.state"); omitted for fsync
Exits 0 when every step is found in order; else says which was not.
"""
import re
import sys

CALL = re.compile(r'^(?:\[pid\s+\d+\]\s+|\d+\s+)?(\w+)\((.*)\)\s+=\s+(-?\d+)')
FD = re.compile(r'-?\d+<([^>]*)>')
STR = re.compile(r'"((?:[^"\\]|\\.)*)"')


def events(path):
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = CALL.match(line.strip())
            if not m:
                continue
            call, args = m.group(1), m.group(2)
            # A non-blocking connect says EINPROGRESS: still the start.
            if int(m.group(3)) < 0 and call != "connect":
                continue
            dirs = [p.rstrip("/").split("/")[-1] for p in FD.findall(args)]
            names = STR.findall(args)
            if call in ("renameat", "renameat2") and len(dirs) >= 2 \
                    and len(names) >= 2:
                out.append(("renamefrom", dirs[0], names[0], line.strip()))
                out.append(("rename", dirs[1], names[1], line.strip()))
            elif call == "unlinkat" and dirs and names:
                out.append(("unlink", dirs[0], names[0], line.strip()))
            elif call in ("fsync", "fdatasync") and dirs:
                out.append(("fsync", dirs[0], "", line.strip()))
            elif call == "close" and args.find("<") > 0:
                full = FD.findall(args)
                if full:
                    parts = full[0].rstrip("/").split("/")
                    out.append(("close", parts[-2] if len(parts) > 1
                                else "", parts[-1], line.strip()))
            elif call == "connect":
                out.append(("connect", "-", "", line.strip()))
    return out


def matches(ev, step):
    parts = step.split(":")
    op, d = parts[0], parts[1]
    name = parts[2] if len(parts) > 2 else None
    if ev[0] != op:
        return False
    if d == "bucket":
        if not re.fullmatch(r"[0-9]{12}", ev[1]):
            return False
    elif d != "-" and ev[1] != d:
        return False
    if name is None:
        return True
    if name.startswith("*"):
        return ev[2].endswith(name[1:])
    return ev[2] == name


def main():
    evs = events(sys.argv[1])
    i = 0
    for step in sys.argv[2:]:
        while i < len(evs) and not matches(evs[i], step):
            i += 1
        if i == len(evs):
            print(f"order: step {step} not found after the previous ones")
            print("events:")
            for e in evs:
                print("  ", e[0], e[1], e[2])
            return 1
        i += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
