"""The demo class an instructor grades first (`make demo`): its zip is what the script makes from today's
release, and grading it gives the committed grades, with the sandbox on."""

import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from project import ROOT

pytestmark = pytest.mark.slow

DEMO = ROOT / "demo"


def test_the_demo_zip_is_made_from_the_current_release():
    script = runpy.run_path(str(ROOT / "tools" / "make_demo_class.py"))
    assert script["zip_bytes"]() == (DEMO / "01-tensors-moodle.zip").read_bytes(), \
        "demo/01-tensors-moodle.zip is stale: run .venv/bin/python tools/make_demo_class.py"


def test_make_demo_grades_the_class_as_committed(tmp_path):
    done = subprocess.run(["make", "-s", "demo", f"DEMO={tmp_path}", f"VENV={Path(sys.executable).parent.parent}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr
    graded = (tmp_path / "grades-01-tensors.csv").read_text()
    assert graded == (DEMO / "grades-01-tensors.csv").read_text(), \
        f"the demo's grades changed: if that is intended, copy {tmp_path}/grades-01-tensors.csv to demo/"
    assert f"class report: {tmp_path / 'class-report-01-tensors.html'}" in done.stdout
    pages = [line.strip() for line in done.stdout.splitlines() if line.strip().endswith("/tensors.html")]
    assert len(pages) == 3 and all(Path(page).is_file() for page in pages)
    assert (tmp_path / "moodle-worksheet-01-tensors.csv").is_file() and "grades out of 30" in done.stdout
    similarity = tmp_path / "similarity-01-tensors.html"
    assert f"similar answers, to look at: {similarity}" in done.stdout and similarity.stat().st_mode & 0o777 == 0o600
