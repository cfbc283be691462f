"""What a user meets at the command line: a version, one clear line and exit code 2 for every bad input."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from importlib.metadata import version
from pathlib import Path

import pytest
from project import ROOT
from test_build import edit_source, snapshot

from corso.cli import main


def corso(*args, cwd=ROOT):
    """Run the installed CLI as a user would; return (exit code, stdout, stderr)."""
    done = subprocess.run([sys.executable, "-m", "corso.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)
    return done.returncode, done.stdout, done.stderr


def assert_one_clear_line(code, err, *words):
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for word in words:
        assert word in err, err


@pytest.fixture
def short_tmp():
    """A temporary folder with a short path: the grading makes Unix sockets in it (tmp_path can be too long)."""
    folder = Path(tempfile.mkdtemp(prefix="corso-test-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_version():
    code, out, _ = corso("--version")
    assert (code, out.strip()) == (0, f"corso {version('corso')}")


def test_help_documents_the_exit_codes():
    code, out, _ = corso("--help")
    assert code == 0
    for exit_code in ("0 ", "1 ", "2 ", "3 ", "130"):
        assert f"\n  {exit_code}" in out, out


@pytest.mark.parametrize("verb", [["build"], ["build", "--check"], ["grade", "01-tensors", "x"],
                                  ["check", "x.ipynb"]])
def test_outside_a_course_folder(tmp_path, verb):
    (tmp_path / "x.ipynb").write_bytes((ROOT / "release/it/01-tensors/tensors.ipynb").read_bytes())
    code, _, err = corso(*verb, cwd=tmp_path)
    assert_one_clear_line(code, err, str(tmp_path), "not a course folder", "nbgrader_config.py")


def test_a_course_folder_without_its_nbgrader_config(tmp_path):
    (tmp_path / "source").mkdir()
    code, _, err = corso("build", cwd=tmp_path)
    assert_one_clear_line(code, err, "no nbgrader_config.py")


def test_unknown_lesson(tmp_path):
    code, _, err = corso("grade", "99-nothing", str(tmp_path))
    assert_one_clear_line(code, err, "no lesson '99-nothing'", "01-tensors")


def test_check_a_missing_file(tmp_path):
    code, _, err = corso("check", str(tmp_path / "missing.ipynb"))
    assert_one_clear_line(code, err, "missing.ipynb: no such notebook")


def test_check_a_file_that_is_not_a_notebook(tmp_path):
    text = tmp_path / "notes.ipynb"
    text.write_text("these are my notes")
    code, _, err = corso("check", str(text))
    assert_one_clear_line(code, err, "notes.ipynb: not a notebook")


def test_a_kernel_that_dies_during_the_build(mini_course, capsys):
    before = snapshot(mini_course)
    edit_source(mini_course, "print(x)", "import os\\nos._exit(1)")
    assert main(["--root", str(mini_course), "build"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "mini.ipynb, cell" in err and "the kernel died" in err, err
    assert snapshot(mini_course) == before


def test_ctrl_c_during_grade_keeps_what_was_finished_and_leaves_nothing_running(tmp_path, short_tmp):
    from submissions import filled_release

    from corso.lessons import Lesson
    lesson = Lesson(ROOT, "01-tensors")
    handed_in = tmp_path / "class"
    handed_in.mkdir()
    for student in ("ada", "bea", "cy"):
        filled_release(lesson, "it", handed_in / f"{student}.ipynb")
    workdir, scratch = tmp_path / "grading", short_tmp
    # Everything this run starts carries a mark: the grading processes in their environment, the sandboxes in
    # their command line (their folders are made under TMPDIR). Other tests may be grading at the same time.
    mark = f"corso-test-{uuid.uuid4().hex}"
    env = dict(os.environ, TMPDIR=str(scratch), CORSO_TEST_MARK=mark)
    grading = subprocess.Popen([sys.executable, "-m", "corso.cli", "grade", lesson.id, str(handed_in), "--jobs", "1",
                                "--workdir", str(workdir)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    state = workdir / f"graded-{lesson.id}.json"
    deadline = time.monotonic() + 240
    while not state.exists() and grading.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    grading.send_signal(signal.SIGINT)  # what Ctrl-C sends to the command
    out, err = grading.communicate(timeout=120)
    assert grading.returncode == 130, out + err
    assert "interrupted: 1 of 3 submissions graded" in err and "run the same command again" in err, err
    assert "Traceback" not in err, err
    time.sleep(1)
    assert not marked_processes(mark, scratch), "processes left running"


def marked_processes(mark, scratch):
    """The processes whose environment holds ``mark`` or whose command line names ``scratch``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            environ = (proc / "environ").read_bytes()
            command = (proc / "cmdline").read_bytes()
        except OSError:  # not a process, or gone
            continue
        if mark.encode() in environ or str(scratch).encode() in command:
            found.append(command.replace(b"\0", b" ").decode(errors="replace"))
    return found


def test_a_folder_it_cannot_write_is_one_line(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    code, _, err = corso("edition", "it", "--target", str(blocked / "editions"))
    assert_one_clear_line(code, err, str(blocked))


def test_an_unexpected_failure_is_one_line_naming_a_private_log(monkeypatch, capsys):
    from corso import cli

    def broken(args):
        raise ZeroDivisionError("a bug")
    monkeypatch.setitem(cli.VERBS, "data", broken)
    assert main(["data"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "unexpected ZeroDivisionError" in err
    log = Path(err.strip().rsplit(" ", 1)[-1])
    try:
        assert "ZeroDivisionError: a bug" in log.read_text() and log.stat().st_mode & 0o777 == 0o600
    finally:
        log.unlink()
