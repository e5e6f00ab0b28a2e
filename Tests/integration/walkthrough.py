"""Reads docs/WALKTHROUGH.md into executable steps (used by test_walkthrough.py).

Format (also described at the top of the walkthrough):
- only ```console blocks run; a line `$ command` is a command, following lines starting with `> ` continue it (a
  here-document, a long pipeline), and the lines up to the next `$ ` are its expected standard output;
- an expected line `...` matches any number of lines (also none); `...` inside a line matches any characters;
  trailing white space and `\\r` are ignored;
- `<!-- walkthrough: requires COMMAND ARGS -->` before a block: the block runs only when the master does not answer
  COMMAND ARGS with an "unknown command"/"unknown subcommand" or option error (features other helpers are building);
- `<!-- walkthrough: skip REASON -->` before a block: shown, not run (e.g. `make cluster`, which builds)."""

import re
from dataclasses import dataclass, field
from typing import List, Optional


@dataclass
class Step:
    command: str
    expected: List[str]


@dataclass
class Block:
    section: str
    line: int
    steps: List[Step] = field(default_factory=list)
    requires: Optional[str] = None
    skip: Optional[str] = None


def parse(text):
    blocks = []
    section = "start"
    pending_requires = pending_skip = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        m = re.match(r"<!-- walkthrough: (requires|skip) (.*?) -->", line.strip())
        if m:
            if m.group(1) == "requires":
                pending_requires = m.group(2)
            else:
                pending_skip = m.group(2)
        if line.strip() == "```console":
            block = Block(section, i + 1, requires=pending_requires, skip=pending_skip)
            pending_requires = pending_skip = None
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body = lines[i]
                if body.startswith("$ "):
                    block.steps.append(Step(body[2:], []))
                elif body.startswith("> ") or body == ">":
                    block.steps[-1].command += "\n" + body[2:]
                elif block.steps:
                    block.steps[-1].expected.append(body)
                i += 1
            blocks.append(block)
        elif line.startswith("```"):
            pending_requires = pending_skip = None
        i += 1
    return blocks


def _line_regex(pattern):
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("...")) + "$")


def matches(expected, actual):
    """True when the actual output lines match the expected lines (with `...` wildcards)."""
    exp = [e.rstrip() for e in expected]
    act = [a.rstrip("\r").rstrip() for a in actual]
    while exp and exp[-1] == "":
        exp.pop()
    while act and act[-1] == "":
        act.pop()

    def go(i, j):
        if i == len(exp):
            return j == len(act)
        if exp[i] == "...":
            return any(go(i + 1, k) for k in range(j, len(act) + 1))
        return j < len(act) and _line_regex(exp[i]).match(act[j]) is not None and go(i + 1, j + 1)
    return go(0, 0)
