"""The README's two Quick start commands: the test command brings what the browser tests need (Debian's Chromium)
on a fresh machine, and CI runs exactly that command."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "browser" / "chromium.sh"


def quick_start() -> list[str]:
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    return [line for line in block.group(1).splitlines() if line.strip()]


def run(env: dict[str, str], *, as_nobody: bool = False) -> subprocess.CompletedProcess:
    """The script as a person without root would run it (as `nobody`, when the tests run as root). The shell reads
    it from its input: `nobody` may not be allowed into the folder of a fresh clone."""
    command = ["/bin/sh", "-s"]
    if as_nobody and os.geteuid() == 0:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(command, input=SCRIPT.read_text(), env=env, capture_output=True, text=True, timeout=60,
                          cwd="/")


def test_the_quick_start_has_two_commands_and_the_test_command_installs_chromium_before_the_tests():
    install, test = quick_start()

    assert "flask --app wsgi serve" in install
    assert test.index("sh tests/browser/chromium.sh") < test.index("-m pytest")
    assert test in (ROOT / ".ci" / "run").read_text().splitlines(), "CI runs the README's test command as it is"


def test_with_chromium_there_the_script_only_says_which():
    there = run({"PATH": os.environ["PATH"], "CHROMIUM": "/usr/bin/env"})  # any program that runs

    assert there.returncode == 0


def test_without_chromium_and_without_root_the_script_says_what_to_install(tmp_path):
    missing = tmp_path / "chromium"

    refused = run({"PATH": os.environ["PATH"], "CHROMIUM": str(missing)}, as_nobody=True)

    assert refused.returncode == 1
    assert f"Debian's Chromium at {missing}" in refused.stderr
    assert "apt-get install chromium" in refused.stderr
    assert not missing.exists()


def test_without_chromium_on_a_machine_without_apt_the_script_says_so(tmp_path):
    refused = run({"PATH": str(tmp_path), "CHROMIUM": str(tmp_path / "chromium")})

    assert refused.returncode == 1
    assert "not a Debian machine" in refused.stderr
