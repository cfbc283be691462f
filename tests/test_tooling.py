"""The project's own hygiene, run by the test command: lint, workflow, hooks, and the locked environment."""

import re
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from project import ROOT

BIN = Path(sys.executable).parent


def run(*command):
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_ruff_is_clean():
    run(str(BIN / "ruff"), "check", ".")


def test_workflow_passes_actionlint():
    run(str(BIN / "actionlint"), "-config-file", ".github/actionlint.yaml")


def test_pre_commit_config_and_the_hook_we_publish_are_valid():
    run(str(BIN / "pre-commit"), "validate-config", ".pre-commit-config.yaml")
    run(str(BIN / "pre-commit"), "validate-manifest", ".pre-commit-hooks.yaml")


def pins(lock):
    """{normalized name: version} of a pip-compile lock, checking every pin carries hashes."""
    text = (ROOT / "requirements" / lock).read_text()
    found = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\\n\s+--hash=sha256:", text, re.M))
    assert len(found) == len(re.findall(r"^[A-Za-z0-9_.-]+==", text, re.M)), f"{lock}: a pin without hashes"
    return {normalize(name): pinned for name, pinned in found.items()}


def installed(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(group=None):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["optional-dependencies"][group] if group else project["dependencies"]
    return {normalize(re.split(r"[\[=]", req)[0]): req.split("==")[1] for req in requirements}


@pytest.mark.parametrize("lock, groups", [("course.txt", [None]), ("dev.txt", [None, "dev"])])
def test_locks_hold_exactly_the_pinned_versions(lock, groups):
    locked = pins(lock)
    for group in groups:
        for name, pinned in declared(group).items():
            assert locked.get(name) == pinned, f"{lock}: {name} is {locked.get(name)}, pyproject.toml pins {pinned}"


def test_the_runtime_lock_has_no_test_tools_and_agrees_with_the_dev_lock():
    course, dev = pins("course.txt"), pins("dev.txt")
    assert not set(declared("dev")) & set(course), "test tools in the runtime lock"
    assert {name: dev.get(name) for name in course} == course


def test_installed_environment_is_the_lock():
    wrong = {name: (installed(name), pinned) for name, pinned in pins("dev.txt").items() if installed(name) != pinned}
    assert not wrong, f"installed vs locked: {wrong} (run make install-dev)"
