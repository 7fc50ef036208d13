#!/usr/bin/env python3
"""Cycles among the C files of csstats (a maintenance check, run by hand).

Two graphs, each printed with its cycles (exit status 1 when there is one):

  includes: file -> the project header it #includes ("..." includes that
            name a file under src/ or src/core/);
  calls:    object -> the object that defines a symbol it uses (nm over the
            built src/*.o and src/core/*.o: run after a build).

    python3 test/tools/dependency_cycles.py [source dir]
"""
import os
import re
import subprocess
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
dirs = [os.path.join(root, "src"), os.path.join(root, "src", "core")]


def cycles(graph):
    found, state, stack = [], {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                found.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    return found


files = {}
for d in dirs:
    for f in os.listdir(d):
        if f.endswith((".c", ".h")):
            files[f] = os.path.join(d, f)
inc = {}
for name, path in files.items():
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if m and os.path.basename(m.group(1)) in files and os.path.basename(m.group(1)) != name:
                inc.setdefault(name, set()).add(os.path.basename(m.group(1)))

defined, used = {}, {}
for d in dirs:
    for f in sorted(os.listdir(d)):
        if not f.endswith(".o"):
            continue
        out = subprocess.run(["nm", os.path.join(d, f)], capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TDBR":
                defined[parts[2]] = f
            elif len(parts) == 2 and parts[0] == "U":
                used.setdefault(f, set()).add(parts[1])
calls = {o: {defined[s] for s in syms if s in defined and defined[s] != o} for o, syms in used.items()}

status = 0
for title, graph in (("includes", inc), ("calls", calls)):
    cs = cycles(graph)
    print(f"{title}: {len(graph)} files, {len(cs)} cycle(s)")
    for c in cs:
        print("  " + " -> ".join(c))
        status = 1
sys.exit(status)
