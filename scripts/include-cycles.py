#!/usr/bin/env python3
"""include-cycles.py: finds include cycles between the relay's units.

A unit is a .c file under src/ and the .h file of the same name under
include/ (src/http/router.c and include/http/router.h are the unit
"http/router"); a header without a .c file is a unit of its own. Each
`#include "..."` line in a unit's files is an edge to the unit it names
(resolved next to the including file first, then under include/, as the
compiler does with -Iinclude). A cycle means two units each need the other:
the shared part belongs in a third, lower file (docs/hacking.md).

Prints each elementary cycle as "a -> b -> a" and exits 1 when there is
one; prints "include-cycles: none (N units)" and exits 0 otherwise.
Usage: scripts/include-cycles.py [REPO_DIR]
"""
import os
import re
import sys

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
MAX_CYCLES = 100


def unit_of(root, path):
    """The unit a file under src/ or include/ belongs to, or None."""
    rel = os.path.relpath(path, root)
    for top in ("src", "include"):
        if rel.startswith(top + os.sep):
            stem, ext = os.path.splitext(rel[len(top) + 1:])
            if ext in (".c", ".h"):
                return stem.replace(os.sep, "/")
    return None


def source_files(root):
    for top in ("src", "include"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if name.endswith((".c", ".h")):
                    yield os.path.join(dirpath, name)


def build_graph(root):
    """unit -> set of units it includes (self edges left out)."""
    graph = {}
    for path in source_files(root):
        unit = unit_of(root, path)
        edges = graph.setdefault(unit, set())
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                name = m.group(1)
                candidates = [os.path.join(os.path.dirname(path), name),
                              os.path.join(root, "include", name)]
                target = None
                for c in candidates:
                    if os.path.isfile(c):
                        target = unit_of(root, os.path.normpath(c))
                        break
                if target and target != unit:
                    edges.add(target)
    return graph


def strongly_connected(graph):
    """Tarjan's algorithm, iterative; yields each component as a list."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    n = stack.pop()
                    on_stack.discard(n)
                    comp.append(n)
                    if n == node:
                        break
                out.append(sorted(comp))
    return out


def cycles_in(graph, comp):
    """Elementary cycles inside one component, each starting at its
    smallest unit (so every cycle is listed once)."""
    members = set(comp)
    found = []
    for start in comp:
        path = [start]

        def walk(node):
            for nxt in sorted(graph.get(node, ())):
                if nxt not in members or nxt < start:
                    continue
                if nxt == start:
                    found.append(path + [start])
                elif nxt not in path and len(found) < MAX_CYCLES:
                    path.append(nxt)
                    walk(nxt)
                    path.pop()

        walk(start)
    return found


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    graph = build_graph(root)
    cycles = []
    for comp in strongly_connected(graph):
        if len(comp) > 1:
            cycles.extend(cycles_in(graph, comp))
    for c in cycles:
        print("include cycle: " + " -> ".join(c))
    if cycles:
        print("include-cycles: %d cycle(s) between units; move the shared part "
              "into a third, lower file" % len(cycles), file=sys.stderr)
        return 1
    print("include-cycles: none (%d units)" % len(graph))
    return 0


if __name__ == "__main__":
    sys.exit(main())
