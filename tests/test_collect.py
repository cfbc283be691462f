"""Collecting submissions: the naming rule, the latest wins, zips, names nbgrader refuses, only regular files."""

import contextlib
import io
import os
import signal
import socket
import stat
import subprocess
import tarfile
import time
import zipfile

import pytest
from project import ROOT

from corso.grading.collect import collect
from corso.lessons import Lesson

LESSON = Lesson(ROOT, "01-tensors")


def test_folders_and_files_name_the_students(tmp_path):
    handed_in = tmp_path / "in"
    (handed_in / "alice" / "work").mkdir(parents=True)
    (handed_in / "alice" / "work" / "tensors.ipynb").write_text("{}")
    (handed_in / "alice" / "notes.txt").write_text("")
    (handed_in / "bob.ipynb").write_text("{}")
    (handed_in / "readme.pdf").write_text("")
    (handed_in / "carla rossi").mkdir()
    (handed_in / "carla rossi" / "tensors.ipynb").write_text("{}")
    (handed_in / "dario").mkdir()
    collected, ignored, _ = collect(handed_in, LESSON, tmp_path / "scratch")
    by_student = {s.student: s for s in collected}
    assert sorted(by_student) == ["alice", "bob", "carla_rossi", "dario"]
    assert by_student["alice"].notebook.name == "tensors.ipynb"
    assert by_student["alice"].problems == ["extra file alice/notes.txt ignored"]
    assert by_student["bob"].problems == []
    assert "has characters nbgrader refuses: graded as 'carla_rossi'" in by_student["carla_rossi"].problems[0]
    assert by_student["dario"].notebook is None and by_student["dario"].problems == ["no notebook handed in"]
    assert ignored == ["readme.pdf: not a notebook, ignored"]


def test_the_latest_notebook_wins(tmp_path):
    folder = tmp_path / "in" / "alice"
    folder.mkdir(parents=True)
    old, new = folder / "tensors-v1.ipynb", folder / "tensors-v2.ipynb"
    old.write_text("{}")
    new.write_text("{}")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    (submission,), _, _ = collect(tmp_path / "in", LESSON, tmp_path / "scratch")
    assert submission.notebook == new
    assert submission.problems == ["notebook named tensors-v2.ipynb, expected tensors.ipynb",
                                   "also handed in tensors-v1.ipynb: ignored, the latest wins"]


def test_a_zip_of_one_folder_is_unpacked_safely(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("class/alice/tensors.ipynb", "{}")
        zipped.writestr("class/bob.ipynb", "{}")
        zipped.writestr("../../escaped.ipynb", "{}")
    collected, _, _ = collect(archive, LESSON, tmp_path / "scratch")
    assert [s.student for s in collected] == ["alice", "bob"]
    assert not (tmp_path / "escaped.ipynb").exists() and not (tmp_path.parent / "escaped.ipynb").exists()


def test_students_whose_ids_clean_to_the_same_name_are_refused(tmp_path):
    from corso.grading import GradingError
    for name in ("carla rossi", "carla_rossi"):
        (tmp_path / "in" / name).mkdir(parents=True)
        (tmp_path / "in" / name / "tensors.ipynb").write_text("{}")
    with pytest.raises(GradingError, match="'carla rossi' and 'carla_rossi'"):
        collect(tmp_path / "in", LESSON, tmp_path / "scratch")


def test_a_moodle_download_keeps_participant_ids_and_names(tmp_path):
    from test_lms import moodle_download_name

    from corso import lms
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zipped:  # two people of the same name, one with an extra file
        zipped.writestr(moodle_download_name("Nicolò D'Amico", 418223, "tensors.ipynb"), "{}")
        zipped.writestr(moodle_download_name("Nicolò D'Amico", 418224, "tensors.ipynb"), "{}")
        zipped.writestr(moodle_download_name("Nicolò D'Amico", 418224, "appunti.txt"), "")
    collected, _, layout = collect(archive, LESSON, tmp_path / "scratch")
    assert layout in (lms.MOODLE_FOLDERS, lms.MOODLE_FLAT)
    assert [(s.student, s.name) for s in collected] == [("418223", "Nicolò DAmico"), ("418224", "Nicolò DAmico")]
    assert collected[1].problems == ["extra file appunti.txt ignored"]


def test_lms_files_are_written_for_an_lms_download(tmp_path):
    from corso import lms
    from corso.grading.collect import Submission
    from corso.grading.report import Report, write_reports
    submissions = [Submission("418223", tmp_path / "a.ipynb", name="Nicolò DAmico", scores={"t": 2.0}),
                   Submission("418224", None, name="Ada Rossi", problems=["no notebook handed in"])]
    report = Report(submissions, {"t": 2}, [], tmp_path / "grades-01-tensors.csv", 0)
    write_reports(report, LESSON, lms.MOODLE_FOLDERS)
    worksheet = (tmp_path / "moodle-worksheet-01-tensors.csv").read_text()
    assert "Partecipante418223" in worksheet and "Nicolò DAmico" in worksheet and "no notebook handed in" in worksheet
    assert (tmp_path / "moodle-feedback-01-tensors.zip").exists()
    write_reports(report, LESSON, lms.CANVAS)
    assert "418224" in (tmp_path / "canvas-01-tensors.csv").read_text()
    assert oct((tmp_path / "grades-01-tensors.csv").stat().st_mode & 0o777) == "0o600"


REFUSED = ": only regular files are collected"


@contextlib.contextmanager
def failing_instead_of_blocking(seconds=30):
    """Raise TimeoutError if the block takes longer (opening a FIFO would wait forever for a writer)."""
    def stop(signum, frame):
        raise TimeoutError(f"still running after {seconds} s: something was opened that blocks")
    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _member(name, kind, target=""):
    member = tarfile.TarInfo(name)
    member.type, member.linkname, member.mtime = kind, target, time.time()
    return member


def test_links_and_special_files_unpacked_by_tar_are_refused_never_followed(tmp_path):
    notebook = b"{}"
    archive = tmp_path / "class.tar"
    with tarfile.open(archive, "w") as tar:
        for name in ("class/alice/tensors.ipynb", "class/bob.ipynb", "class/gina/tensors.ipynb",
                     "outside/secret.ipynb"):
            member = _member(name, tarfile.REGTYPE)
            member.size = len(notebook)
            tar.addfile(member, io.BytesIO(notebook))
        tar.addfile(_member("class/eve/tensors.ipynb", tarfile.SYMTYPE, str(LESSON.source)))
        tar.addfile(_member("class/ivan.ipynb", tarfile.SYMTYPE, str(LESSON.source)))
        tar.addfile(_member("class/frank", tarfile.SYMTYPE, str(LESSON.source.parent)))
        tar.addfile(_member("class/gina/work", tarfile.SYMTYPE, str(LESSON.source.parent)))
        tar.addfile(_member("class/mallory/tensors.ipynb", tarfile.LNKTYPE, "outside/secret.ipynb"))
        tar.addfile(_member("class/henry/tensors.ipynb", tarfile.FIFOTYPE))
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    subprocess.run(["tar", "-xf", archive, "-C", unpacked], check=True)
    assert (unpacked / "class" / "mallory" / "tensors.ipynb").stat().st_nlink == 2
    with failing_instead_of_blocking():
        collected, ignored, _ = collect(unpacked / "class", LESSON, tmp_path / "scratch")
    by_student = {s.student: s for s in collected}
    assert sorted(by_student) == ["alice", "bob", "eve", "gina", "henry", "mallory"]
    for honest in ("alice", "bob"):
        assert by_student[honest].problems == [] and by_student[honest].notebook.name.endswith(".ipynb")
    assert by_student["gina"].notebook == unpacked / "class" / "gina" / "tensors.ipynb"
    assert by_student["gina"].problems == [f"gina/work: a symbolic link, refused{REFUSED}"]
    expected = {"eve": "eve/tensors.ipynb: a symbolic link",
                "henry": "henry/tensors.ipynb: a FIFO",
                "mallory": "mallory/tensors.ipynb: a hard link (2 names: the others may be outside the submissions)"}
    for student, line in expected.items():
        assert by_student[student].notebook is None
        assert by_student[student].problems == [f"{line}, refused{REFUSED}", "no notebook handed in"]
    assert ignored == [f"frank: a symbolic link, refused{REFUSED}", f"ivan.ipynb: a symbolic link, refused{REFUSED}"]


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_devices_and_sockets_are_refused(tmp_path, monkeypatch):
    judy = tmp_path / "in" / "judy"
    judy.mkdir(parents=True)
    (judy / "tensors.ipynb").write_text("{}")
    os.mknod(judy / "null.ipynb", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    monkeypatch.chdir(judy)  # a short path for the socket's name
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind("listening.ipynb")
        collected, _, _ = collect(tmp_path / "in", LESSON, tmp_path / "scratch")
    [judy_submission] = collected
    assert judy_submission.notebook == judy / "tensors.ipynb"
    assert judy_submission.problems == [f"judy/listening.ipynb: a socket, refused{REFUSED}",
                                        f"judy/null.ipynb: a device, refused{REFUSED}"]


def test_a_zip_entry_marked_as_a_link_is_refused_and_no_link_is_made(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        link = zipfile.ZipInfo("class/alice/tensors.ipynb")
        link.create_system, link.external_attr = 3, (stat.S_IFLNK | 0o777) << 16
        zipped.writestr(link, str(LESSON.source))
        zipped.writestr("class/bob/tensors.ipynb", "{}")
    collected, _, _ = collect(archive, LESSON, tmp_path / "scratch")
    alice, bob = collected
    assert alice.notebook is None
    assert alice.problems == [f"alice/tensors.ipynb: a symbolic link in the zip, refused{REFUSED}",
                              "no notebook handed in"]
    assert bob.problems == [] and bob.notebook.read_text() == "{}"
    unpacked = tmp_path / "scratch" / "unzipped" / "class" / "alice" / "tensors.ipynb"
    assert not unpacked.exists() and not unpacked.is_symlink()


@pytest.mark.parametrize("file_first", [True, False], ids=["file-first", "folder-first"])
def test_a_zip_with_a_file_and_a_folder_of_the_same_name_keeps_the_first(tmp_path, file_first):
    archive = tmp_path / "class.zip"
    entries = [("alice", "not a folder"), ("alice/tensors.ipynb", "{}")]
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, content in entries if file_first else entries[::-1]:
            zipped.writestr(name, content)
        zipped.writestr("bob/tensors.ipynb", "{}")
    collected, ignored, _ = collect(archive, LESSON, tmp_path / "scratch")
    clash = "refused: the zip has alice both as a file and as a folder (the first entry is kept)"
    if file_first:
        assert [s.student for s in collected] == ["alice", "bob"] and collected[0].notebook is None
        assert collected[0].problems[0] == f"alice/tensors.ipynb: {clash}"
        assert ignored == ["alice: not a notebook, ignored"]
    else:
        assert collected[0].notebook.read_text() == "{}" and ignored == [f"alice: {clash}"]


def moodle_group_zip(path, with_default_group=True):
    from test_lms import moodle_download_name
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr(moodle_download_name("Gruppo A_1", 77, "tensors.ipynb"), "{}")
        if with_default_group:
            zipped.writestr("Gruppo di default_assignsubmission_file/tensors.ipynb", "{}")
    return path


def test_moodle_group_submissions_need_the_roster(tmp_path):
    from corso.grading import GradingError
    with pytest.raises(GradingError, match="group submissions .* pass it with --roster"):
        collect(moodle_group_zip(tmp_path / "groups.zip"), LESSON, tmp_path / "scratch")


def test_each_member_of_a_moodle_group_gets_the_groups_result(tmp_path):
    from test_lms import GROUPED, moodle_grading_worksheet, moodle_import

    from corso import lms
    from corso.grading.report import LmsOptions, Report, write_reports
    roster = lms.read_roster(moodle_grading_worksheet(GROUPED, "it"))
    collected, _, layout = collect(moodle_group_zip(tmp_path / "groups.zip"), LESSON, tmp_path / "scratch", roster)
    by_student = {s.student: s for s in collected}
    assert sorted(by_student) == ["77", "default-group"]
    assert [p.participant for p in by_student["77"].members] == ["418223", "418224"]
    assert [p.participant for p in by_student["default-group"].members] == ["418230", "418231"]
    by_student["77"].scores, by_student["default-group"].scores = {"t": 2.0}, {"t": 1.0}
    report = Report(collected, {"t": 2}, [], tmp_path / "grades-01-tensors.csv", 0,
                    lms=LmsOptions("it", scale=30, roster=tmp_path / "worksheet.csv"))
    write_reports(report, LESSON, layout)
    stored = moodle_import((tmp_path / "moodle-worksheet-01-tensors.csv").read_text(), 30, "it")
    assert {p: grade for p, (grade, _) in stored.items()} == {"418223": 30, "418224": 30, "418230": 15, "418231": 15}
    # Gruppo B handed nothing in: Ada Neri gets no row (no grade rather than a 0 she was not given).


def test_a_participant_missing_from_the_roster_gets_a_line_and_no_lms_row(tmp_path):
    from test_lms import GROUPED, moodle_download_name, moodle_grading_worksheet

    from corso import lms
    roster = lms.read_roster(moodle_grading_worksheet(GROUPED, "en", groups=False))
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(moodle_download_name("Nicolò D'Amico", 418223, "tensors.ipynb"), "{}")
        zipped.writestr(moodle_download_name("Ugo Nessuno", 999, "tensors.ipynb"), "{}")
    collected, _, _ = collect(archive, LESSON, tmp_path / "scratch", roster)
    assert collected[0].members[0].email == "418223@studenti.example.it"
    assert collected[1].problems == ["participant 999 is not in the roster: the LMS will not take this grade"]


def test_an_anonymous_canvas_download_says_what_canvas_can_import(tmp_path):
    from corso import lms
    from corso.grading.collect import Submission
    from corso.grading.report import Report, summary, write_reports
    submissions = [Submission("anon_x7Kq2", tmp_path / "a.ipynb", scores={"t": 2.0})]
    report = Report(submissions, {"t": 2}, [], tmp_path / "grades-01-tensors.csv", 0)
    write_reports(report, LESSON, lms.CANVAS)
    assert not (tmp_path / "canvas-01-tensors.csv").exists()
    assert "Canvas: no gradebook CSV: the download is anonymous" in summary(report)


def test_a_canvas_csv_without_the_assignment_id_says_so(tmp_path):
    from test_lms import canvas_import

    from corso import lms
    from corso.grading.collect import Submission
    from corso.grading.report import LmsOptions, Report, summary, write_reports
    submissions = [Submission("1001", tmp_path / "a.ipynb", name="damiconicolò", scores={"t": 2.0})]
    bare = Report(submissions, {"t": 2}, [], tmp_path / "grades-01-tensors.csv", 0)
    write_reports(bare, LESSON, lms.CANVAS)
    assert "with no Canvas id: Canvas adds a new assignment" in summary(bare)
    with_id = Report(submissions, {"t": 2}, [], tmp_path / "grades-01-tensors.csv", 0,
                     lms=LmsOptions(canvas_assignment="01 Tensori (4521)", scale=100))
    write_reports(with_id, LESSON, lms.CANVAS)
    assignments, points, grades = canvas_import((tmp_path / "canvas-01-tensors.csv").read_text())
    assert assignments == [("01 Tensori", "4521")] and points == {("01 Tensori", "4521"): "100"}
    assert grades["1001"] == {("01 Tensori", "4521"): "100"} and "Canvas id" not in summary(with_id)
