"""The folders of libdelivsim/include/delivsim/ are layers: the graph of #include lines
between them has no cycle, and core/ (the bottom layer) includes nothing outside itself."""
from __future__ import annotations

import re
from pathlib import Path

INCLUDE_ROOT = Path(__file__).resolve().parents[2] / "libdelivsim" / "include" / "delivsim"
_INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]delivsim/([A-Za-z0-9_]+)/', re.MULTILINE)


def folder_graph(root: Path = INCLUDE_ROOT) -> dict[str, set[str]]:
    """folder -> the other folders its headers include."""
    graph: dict[str, set[str]] = {}
    for header in sorted(root.glob("*/*.hpp")):
        folder = header.parent.name
        graph.setdefault(folder, set())
        for target in _INCLUDE.findall(header.read_text(encoding="utf-8")):
            if target != folder:
                graph[folder].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of folders (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_folders_include_each_other_without_a_cycle():
    graph = folder_graph()
    assert {"core", "policy", "engine", "scenario"} <= graph.keys()  # the scan found the headers
    cycle = find_cycle(graph)
    assert cycle is None, "include cycle between folders: " + " -> ".join(cycle)


def test_core_includes_only_core():
    assert folder_graph()["core"] == set()


def test_the_session_names_no_policy():
    # A policy's memory of a message lives in the Session's words, placed by the registry:
    # core/ must not grow a field per policy again.
    registry = (INCLUDE_ROOT / "policy" / "registry.hpp").read_text(encoding="utf-8")
    entries = re.findall(r'Registered<struct (\w+), "(\w*)"', registry)
    assert len(entries) > 10, "the registry's lines were not found"
    message = (INCLUDE_ROOT / "core" / "message.hpp").read_text(encoding="utf-8")
    body = re.search(r"struct Session \{(.*?)\n\};", message, re.DOTALL)
    assert body, "struct Session not found in core/message.hpp"
    code = re.sub(r"//[^\n]*", "", body.group(1)).lower()
    for type_name, stage in entries:
        assert type_name.lower() not in code, f"the Session names the policy {type_name}"
        assert not stage or stage not in code, f"the Session names the stage {stage}"


def test_the_cycle_finder_finds_cycles(tmp_path):
    # The check above must be able to fail: a two-folder cycle is found and named.
    for folder, target in (("a", "b"), ("b", "a"), ("c", "a")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.hpp").write_text(f"#pragma once\n#include <delivsim/{target}/x.hpp>\n")
    graph = folder_graph(tmp_path)
    assert graph == {"a": {"b"}, "b": {"a"}, "c": {"a"}}
    assert find_cycle(graph) == ["a", "b", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
