"""Realistic LMS downloads through `corso grade`, as an instructor runs it: each ends in the summary and the
LMS's files, or in one line that says what to do (exit 2): never a traceback.

The notebooks in them are empty files (screened out before any kernel starts): what is under test is the
collection, the roster and the LMS's files, fast; grading real notebooks from a Moodle download is the demo's
test (tests/test_demo.py)."""

import subprocess
import sys
import unicodedata
import zipfile

import pytest
from project import ROOT
from test_lms import GROUPED, canvas_download_name, moodle_download_name, moodle_grading_worksheet

pytestmark = pytest.mark.slow

NOTEBOOK = b"{}"


def moodle_class(folders=True):
    return {moodle_download_name(name, pid, "tensors.ipynb", folders=folders): NOTEBOOK
            for name, pid in [("Nicolò D'Amico", 418223), ("Nicolò D'Amico", 418224), ("Zoë Ferri_Bianchi", 418231),
                              ("Jean-Luc L'Hôpital", 418240)]} | {
        moodle_download_name("Nicolò D'Amico", 418224, "appunti.txt", folders=folders): b"notes",
        "Anna Rossi_418230_assignsubmission_onlinetext/onlinetext.html": b"<p>ecco</p>"}


def canvas_class():
    return {
        canvas_download_name("Nicolò", "D'Amico", 1001, 9000, "tensors.ipynb"): NOTEBOOK,
        canvas_download_name("Nicolò", "D'Amico", 1002, 9101, "tensors-1.ipynb", late=True): NOTEBOOK,  # resubmitted
        unicodedata.normalize("NFD", canvas_download_name("Zoë", "Lefèvre", 1004, 9003, "tensors.ipynb")): NOTEBOOK,
        "rossiannamaria_1003_text.html": b"<p>text entry</p>",
        "ferrizoë_LATE_1005_link.html": b"<p>a link</p>",
    }


def groups():
    return {moodle_download_name("Gruppo A_1", 77, "tensors.ipynb"): NOTEBOOK,
            "Gruppo di default_assignsubmission_file/tensors.ipynb": NOTEBOOK}


# (id, zip entries, roster rows and language or None, extra options, exit code, words in the output)
DOWNLOADS = [
    ("moodle-folders", moodle_class(), None, ["--lms-language", "en"], 0,
     ["418223", "418224", "extra file appunti.txt ignored", "columns in English"]),
    ("moodle-flat", moodle_class(folders=False), None, ["--scale", "30", "--no-similarity"], 0,
     ["418240", "grades out of 30"]),
    ("moodle-blind-marking", {moodle_download_name("Partecipante", 5550 + i, "tensors.ipynb"): NOTEBOOK
                              for i in range(3)}, None, [], 0, ["5551", "columns in Italian"]),
    ("moodle-groups-without-roster", groups(), None, [], 2, ["group submissions", "--roster"]),
    ("moodle-groups-with-roster", groups(), (GROUPED, "it"), [], 0, ["default-group", "77"]),
    ("moodle-with-a-roster-that-is-not-a-worksheet", moodle_class(), "Student,ID\nRossi,1\n", [], 2,
     ["not Moodle's grading worksheet"]),
    ("canvas", canvas_class(), None, ["--canvas-assignment", "01 Tensori (4521)"], 0,
     ["1001", "1004", "Canvas marked it LATE", "a text entry of Canvas (text.html) ignored", "canvas-01-tensors.csv"]),
    ("canvas-anonymous", {"anon_x7Kq2_9200_tensors.ipynb": NOTEBOOK, "LATE_anon_b3Zt1_9201_tensors.ipynb": NOTEBOOK},
     None, [], 0, ["no gradebook CSV: the download is anonymous"]),
    ("file-and-folder-of-one-name", {"alice": b"x", "alice/tensors.ipynb": NOTEBOOK, "bob/tensors.ipynb": NOTEBOOK},
     None, [], 0, ["alice both as a file and as a folder"]),
    ("damaged-zip", "damaged", None, [], 2, ["damaged"]),
    ("bad-deadline", moodle_class(), None, ["--deadline", "venerdì sera"], 2, ["not a date and time"]),
]


def make_zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in (entries if entries != "damaged" else {"ada/tensors.ipynb": b"x" * 5000}).items():
            archive.writestr(name, content)
    if entries == "damaged":  # a byte of the compressed data changed: the zip's index is fine, the entry is not
        data = bytearray(path.read_bytes())
        data[60] ^= 0xFF
        path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """One grading folder for every download: the lesson's reference run is made once."""
    return tmp_path_factory.mktemp("lms-downloads") / "grading"


@pytest.mark.parametrize(("entries", "roster", "options", "code", "words"),
                         [d[1:] for d in DOWNLOADS], ids=[d[0] for d in DOWNLOADS])
def test_an_lms_download_ends_in_a_summary_or_one_line(tmp_path, workdir, entries, roster, options, code, words):
    arguments = [str(make_zip(tmp_path / "download.zip", entries)), "--workdir", str(workdir), "--jobs", "1",
                 "--no-pool", *options]
    if roster is not None:
        worksheet = tmp_path / "worksheet.csv"
        worksheet.write_text(roster if isinstance(roster, str) else moodle_grading_worksheet(*roster))
        arguments += ["--roster", str(worksheet)]
    done = subprocess.run([sys.executable, "-m", "corso.cli", "grade", "01-tensors", *arguments], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    said = done.stdout + done.stderr
    assert "Traceback" not in said, said
    assert done.returncode == code, said
    if code == 2:
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    for word in words:
        assert word in said, said
    if code == 0:
        assert ("similar answers, to look at" in said) != ("--no-similarity" in options), said
