"""Break each input guard in turn, in a copy of the tree, and count the tests that fail (docs/security.md, V2).

A guard that can be removed with no test failing is a guard nobody would notice losing. Run from the project root:

    .venv/bin/python .ci/break_guards.py                      # the hostile-input test and the guard tests
    .venv/bin/python .ci/break_guards.py converter "date"    # only the guards whose names contain these words

Not part of .ci/run: it runs the hostile-input test once per guard (about 15 minutes in all).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ["tests/test_hostile_input.py", "tests/test_input_guards.py"]
# (name, file, the guard's code, the same line without the guard)
BREAKS = [
    ("the bounded int converter", "matchapp/web/inputs.py",
     '    app.url_map.converters["int"] = IdConverter\n', "    pass\n"),
    ("the control-character hook", "matchapp/web/inputs.py",
     "    app.before_request(refuse_control_characters)\n", "    pass\n"),
    ("the date range", "matchapp/web/forms_common.py",
     "if self.data is not None and not FIRST_DAY", "if False and not FIRST_DAY"),
    ("the next target check", "matchapp/web/inputs.py",
     '    if not path or CONTROL_IN_URL.search(path) or "\\\\" in path:', "    if not path:"),
    ("the page cap", "matchapp/web/inputs.py",
     "    if page is None or page > MAX_PAGE:", "    if page is None:"),
    ("as_id", "matchapp/web/forms_common.py",
     "    number = parse_id(value)\n", "    number = int(value)\n"),
    ("ASCII whole numbers", "matchapp/web/forms_common.py",
     "self.data = int(text) if WHOLE_NUMBER.fullmatch(text) else None",
     "self.data = int(text) if text.lstrip('-').isdigit() else None"),
    ("the body limit", "matchapp/web/inputs.py",
     '        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES\n', "        pass\n"),
]


def failures(copy: Path, test_file: str) -> str:
    """The summary line of one test file's run in the copy."""
    run = subprocess.run([sys.executable, "-m", "pytest", test_file, "-q", "-p", "no:cacheprovider"], cwd=copy,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(copy)})
    return run.stdout.strip().splitlines()[-1]


def main(words: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "tree"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", ".venv", "node_modules", "instance"),
                        symlinks=True)
        (copy / "node_modules").symlink_to(ROOT / "node_modules")
        for name, path, guard, without in BREAKS:
            if words and not any(word in name for word in words):
                continue
            source = copy / path
            text = source.read_text()
            if text.count(guard) != 1:
                print(f"{name}: the guard's code is not where this script looks; update BREAKS")
                return 1
            source.write_text(text.replace(guard, without))
            try:
                print(f"{name}: " + "; ".join(f"{t}: {failures(copy, t)}" for t in TESTS), flush=True)
            finally:
                source.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
