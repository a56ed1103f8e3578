"""Run `npx cdk …` with the options in $CDK_ARGS, keeping JSON context values intact.

`make synth CDK_ARGS='-c customRules=[{"id": "x", …}]'` used to lose the JSON's double quotes:
make pastes CDK_ARGS into a shell command line, and that shell strips them. The Makefile now hands
the raw text over in the environment, and this script splits it: after `-c`/`--context`, a
`key=` followed by `[` or `{` runs to the end of its JSON (spaces included); anything else is one
shell word, so the old nested form `CDK_ARGS="-c 'customRules=[…]'"` still works.
Set CDK_DRY_RUN=1 to print the command instead of running it.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import sys

_CONTEXT_FLAG = re.compile(r"(?:-c|--context)(?:\s+|=)")
_KEY_THEN_JSON = re.compile(r"([A-Za-z0-9@:/._-]+)=(?=[\[{])")


def split_cdk_args(raw: str) -> list[str]:
    """Split CDK_ARGS into argv, taking a JSON context value whole; ValueError on an unclosed quote."""
    argv: list[str] = []
    pos = _skip_space(raw, 0)
    while pos < len(raw):
        flag = _CONTEXT_FLAG.match(raw, pos)
        if flag:
            argv.append("-c")
            pos = flag.end()
            key = _KEY_THEN_JSON.match(raw, pos)
            if key:
                start = key.end()
                try:
                    _, end = json.JSONDecoder().raw_decode(raw, start)
                except json.JSONDecodeError:
                    end = len(raw)  # not JSON: pass the rest whole and let the config check name the problem
                argv.append(raw[pos:end])
                pos = _skip_space(raw, end)
                continue
        word, pos = _word(raw, pos)
        argv.append(word)
        pos = _skip_space(raw, pos)
    return argv


def _skip_space(raw: str, pos: int) -> int:
    while pos < len(raw) and raw[pos].isspace():
        pos += 1
    return pos


def _word(raw: str, pos: int) -> tuple[str, int]:
    """One shell word starting at pos (quotes removed) and the position after it."""
    stream = io.StringIO(raw[pos:])
    lexer = shlex.shlex(stream, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    word = lexer.get_token() or ""
    return word, pos + stream.tell()


def main(argv: list[str]) -> int:
    """Run npx cdk with argv plus the split CDK_ARGS."""
    try:
        extra = split_cdk_args(os.environ.get("CDK_ARGS", ""))
    except ValueError as error:
        print(f"make: CDK_ARGS: {error} (see README, 'Passing JSON values')", file=sys.stderr)
        return 2
    command = ["npx", "cdk", *argv, *extra]
    if os.environ.get("CDK_DRY_RUN"):
        print(json.dumps(command))
        return 0
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
