"""`corso grade --cluster` on a real Dask cluster on this machine: a scheduler and workers started with
Dask's own commands, each a process of its own with its own working folder, as on a cluster."""

import csv
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from localcluster import WORKER_ENV, Cluster
from project import ROOT
from submissions import auto_points, exercises, filled_release
from test_cli import assert_one_clear_line, corso

from corso.grading.cluster import WorkerRefused, fingerprint, grade_on_worker, worker_problem
from corso.lessons import Lesson

pytestmark = pytest.mark.slow

LESSON = Lesson(ROOT, "01-tensors")
EXERCISES = exercises(LESSON)
SECOND = list(EXERCISES)[1]  # the second exercise's answer cell
POINTS = auto_points(LESSON)
FULL = sum(POINTS.values())
EXPECTED_TOTALS = {"ada": FULL, "bea": FULL - sum(POINTS[test] for test in EXERCISES[SECOND]), "cy": 0, "dan": FULL}
@pytest.fixture
def cluster(tmp_path):
    started = Cluster(tmp_path / "cluster")
    yield started
    started.close()


@pytest.fixture(scope="module")
def handed_in(tmp_path_factory):
    """Four students: full marks in Italian, a wrong answer in English, nothing answered, full marks in English."""
    folder = tmp_path_factory.mktemp("class")
    filled_release(LESSON, "it", folder / "ada.ipynb")
    filled_release(LESSON, "en", folder / "bea.ipynb", wrong=(SECOND,))
    (folder / "cy.ipynb").write_bytes(LESSON.release("it").read_bytes())
    filled_release(LESSON, "en", folder / "dan.ipynb")
    return folder


def grade(handed_in, workdir, *options):
    code, out, err = corso("grade", LESSON.id, str(handed_in), "--workdir", str(workdir), *options)
    assert code == 0, out + err
    return out


def feedback_pages(workdir):
    return {page.relative_to(workdir).as_posix(): page.read_bytes()
            for page in sorted((workdir / "feedback").rglob("*.html"))}


def test_the_cluster_grades_as_this_machine_does(cluster, handed_in, tmp_path):
    cluster.add_worker("a")
    cluster.add_worker("b")
    grade(handed_in, tmp_path / "here", "--jobs", "2")
    out = grade(handed_in, tmp_path / "there", "--cluster", cluster.address)
    csv_here = (tmp_path / "here" / f"grades-{LESSON.id}.csv").read_text()
    assert (tmp_path / "there" / f"grades-{LESSON.id}.csv").read_text() == csv_here
    assert {row["student"]: float(row["total"]) for row in csv.DictReader(io.StringIO(csv_here))} == EXPECTED_TOTALS
    assert feedback_pages(tmp_path / "there") == feedback_pages(tmp_path / "here")
    assert len(feedback_pages(tmp_path / "here")) == 4
    assert "4 students" in out and "not graded:" not in out
    # Both workers graded: each made its template course in its own working folder.
    for name in "ab":
        assert list((cluster.folder / name).glob(f"**/corso-{LESSON.id}-*/template")), f"worker {name} graded nothing"


def test_a_worker_killed_mid_run_has_its_submission_graded_elsewhere_once(cluster, handed_in, tmp_path):
    cluster.add_worker("a")
    doomed = cluster.add_worker("b")
    grading = subprocess.Popen([sys.executable, "-m", "corso.cli", "grade", LESSON.id, str(handed_in), "--workdir",
                                str(tmp_path / "grading"), "--cluster", cluster.address], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not list(doomed.glob("**/corso-*/students/*/submitted")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(doomed.glob("**/corso-*/students/*/submitted")), "worker b never started grading"
    cluster.kill_worker("b")
    out, err = grading.communicate(timeout=600)
    assert grading.returncode == 0, out + err
    rows = list(csv.DictReader(open(tmp_path / "grading" / f"grades-{LESSON.id}.csv")))
    assert {row["student"]: float(row["total"]) for row in rows} == EXPECTED_TOTALS  # each student once
    assert "not graded:" not in out, out
    time.sleep(1)
    assert not cluster.left_running("b"), "the killed worker's grading processes are still running"


def test_workers_that_cannot_grade_refuse_with_the_reason(cluster, handed_in, tmp_path):
    no_sandbox = Path(sys.executable).parent  # this Python and Dask, but not bubblewrap (in /usr/bin)
    cluster.add_worker("no-bwrap", path=str(no_sandbox))
    cluster.add_worker("daemonic", env={})
    long_tmpdir = tmp_path / ("x" * 80)  # too long for the Unix sockets the grading makes in it
    long_tmpdir.mkdir()
    cluster.add_worker("long-tmpdir", env={**WORKER_ENV, "TMPDIR": str(long_tmpdir)})
    code, out, err = corso("grade", LESSON.id, str(handed_in), "--workdir", str(tmp_path / "grading"),
                           "--cluster", cluster.address)
    assert_one_clear_line(code, err, "cannot grade: no sandbox for student code", "bubblewrap",
                          "DASK_DISTRIBUTED__WORKER__DAEMON=False", "set TMPDIR to a shorter one")
    assert err.count("cannot grade") == 3, err
    # A worker that joins after the check refuses each task itself.
    with cluster.client() as client:
        task = client.submit(grade_on_worker, LESSON.id, fingerprint(LESSON), {"timeout": None, "sandbox": True},
                             600, "ada", {}, workers=[cluster.address_of(client, "no-bwrap")], pure=False)
        with pytest.raises(WorkerRefused, match="refused to grade ada: .*"):
            task.result(timeout=120)


def test_a_worker_with_another_version_of_the_course_refuses():
    assert "differs from yours" in worker_problem(LESSON.id, "0" * 64, sandbox=False)
    assert worker_problem(LESSON.id, fingerprint(LESSON), sandbox=False) is None


def test_an_unreachable_scheduler_is_one_clear_line(tmp_path):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    env = dict(os.environ, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="3s")
    done = subprocess.run([sys.executable, "-m", "corso.cli", "grade", LESSON.id, str(tmp_path), "--cluster",
                           f"tcp://127.0.0.1:{port}"], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=120)
    assert_one_clear_line(done.returncode, done.stderr, f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    code, _, err = corso("grade", LESSON.id, str(tmp_path), "--cluster", str(tmp_path / "scheduler.json"))
    assert_one_clear_line(code, err, "neither a scheduler address")
