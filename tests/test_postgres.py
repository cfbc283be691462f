"""The gradebook in a real PostgreSQL server, started by the test (skipped, saying why, without one)."""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from project import ROOT
from submissions import auto_points, filled_release

from corso.grading import grade_class
from corso.lessons import Lesson

pytestmark = pytest.mark.slow


def _postgres_bin(name):
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None)
    return str(found) if found else None


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    pytest.importorskip("psycopg", reason="psycopg (the PostgreSQL driver) is not installed")
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("no PostgreSQL server here (initdb/pg_ctl not found; `apt-get install postgresql`)")
    as_user = []
    folder = Path(tempfile.mkdtemp(prefix="corso-postgres-"))  # under /tmp: reachable by another user
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the postgres user
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", _free_port()
    subprocess.run(as_user + [initdb, "-D", str(data), "-A", "trust", "-U", "corso"], check=True,
                   capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    subprocess.run(as_user + [pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql://corso@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_user + [pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_grading_into_postgresql(postgres_url, tmp_path):
    import psycopg
    lesson = Lesson(ROOT, "01-tensors")
    handed_in = tmp_path / "submissions"
    handed_in.mkdir()
    filled_release(lesson, "en", handed_in / "ada.ipynb")
    shutil.copy(lesson.release("it"), handed_in / "bruno.ipynb")
    report = grade_class(ROOT, lesson, handed_in, tmp_path / "grading", db_url=postgres_url, jobs=2)
    totals = {submission.student: submission.total for submission in report.submissions}
    assert totals == {"ada": sum(auto_points(lesson).values()), "bruno": 0}
    assert not (tmp_path / "grading" / "gradebook.db").exists(), "nothing went to SQLite"
    with psycopg.connect(postgres_url) as db, db.cursor() as cursor:
        cursor.execute("SELECT student_id FROM submitted_assignment ORDER BY student_id")
        assert [row[0] for row in cursor.fetchall()] == ["ada", "bruno"]
