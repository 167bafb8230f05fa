"""The import graph between the apps: which app imports which, and the cycles.

    .venv/bin/python bench/import_graph.py [PATH]

PATH is a checkout (default: this one). Prints every app-to-app edge with how many module
imports make it, the app-level cycles, and the module-level cycles (strongly connected
groups of modules), from grimp, the library behind import-linter.
"""

import sys
from collections import Counter
from pathlib import Path

import grimp

root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1])
sys.path.insert(0, str(root))
apps = sorted(
    p.name
    for p in root.iterdir()
    if (p / "__init__.py").exists() and p.name not in {"tests", "bench"}
)
graph = grimp.build_graph(*apps, include_external_packages=False, cache_dir=None)


def app_of(module: str) -> str:
    return module.split(".")[0]


edges = Counter()
module_edges = {}
for module in graph.modules:
    module_edges[module] = set(graph.find_modules_directly_imported_by(module))
    for imported in module_edges[module]:
        if app_of(imported) != app_of(module):
            edges[(app_of(module), app_of(imported))] += 1


def strongly_connected(nodes, successors):
    """Tarjan's algorithm, iterative: the groups of nodes that reach each other."""
    index, low, on_stack, stack, groups, counter = {}, {}, set(), [], [], [0]
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(successors[start]))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = counter[0]
                counter[0] += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(successors.get(child, ()))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


app_successors = {a: {b for (x, b) in edges if x == a} for a in apps}
print(f"apps: {', '.join(apps)}")
print(f"app edges: {len(edges)}")
for (a, b), n in sorted(edges.items()):
    print(f"  {a} -> {b} ({n} imports)")
app_cycles = strongly_connected(apps, app_successors)
print(f"app cycles: {len(app_cycles)}" + "".join(f"\n  {' <-> '.join(c)}" for c in app_cycles))
module_cycles = strongly_connected(sorted(module_edges), module_edges)
print(f"module cycles: {len(module_cycles)}")
for cycle in module_cycles:
    print(f"  {' <-> '.join(cycle)}")
