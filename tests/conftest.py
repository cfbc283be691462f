"""Shared fixtures. The suite runs offline; notebooks are executed with one thread per kernel."""

import os
import shutil
import sys
from pathlib import Path

import pytest
from project import FIXTURES, ROOT

from corso.build import build

# Fixture notebooks are inputs of the tests, not notebooks for nbval to execute.
collect_ignore = ["fixtures"]

# Kernels inherit this: two kernels with torch's default threads on 2 cores run ~10x slower than serial.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# nbgrader runs helper programs (alembic) by name: find them beside this Python.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """`-n auto` (what `make test` uses): one worker a core, at most CORSO_TEST_WORKERS (default 4), since
    every worker runs notebook kernels and grading processes of its own."""
    return max(1, min(os.cpu_count() or 1, int(os.environ.get("CORSO_TEST_WORKERS", "4"))))


def copy_course(target, source_folder):
    """A course folder at ``target``: the project's nbgrader_config.py and a copy of ``source_folder``."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", target)
    shutil.copytree(source_folder, target / "source")
    return target


@pytest.fixture(scope="session")
def built_mini_course(tmp_path_factory):
    """A course with one small lesson (tests/fixtures/mini), built once for the whole session."""
    course = copy_course(tmp_path_factory.mktemp("mini") / "course", FIXTURES / "mini" / "source")
    build(course, log=lambda line: None)
    return course


@pytest.fixture
def mini_course(built_mini_course, tmp_path):
    """A built copy of the small course, to change in a test."""
    return Path(shutil.copytree(built_mini_course, tmp_path / "course"))


@pytest.fixture
def course_copy(tmp_path):
    """A copy of this course's authored and generated files, to break in a test."""
    target = copy_course(tmp_path / "course", ROOT / "source")
    for folder in ("release", "solutions", "notebooks"):
        shutil.copytree(ROOT / folder, target / folder)
    return target


@pytest.fixture(scope="session")
def feedback_class(tmp_path_factory):
    """(report, grading folder) of a small class of lesson 01 graded by corso grade's pipeline
    (tests/feedback_class.py), once for the feedback and class-report tests."""
    from feedback_class import grade_feedback_class
    return grade_feedback_class(tmp_path_factory.mktemp("feedback-class"))
