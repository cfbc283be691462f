"""Collecting submissions: the naming rule, the latest wins, zips, names nbgrader refuses."""

import os
import time
import zipfile

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
    import pytest

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
    assert "Participant 418223" in worksheet and "Nicolò DAmico" in worksheet and "no notebook handed in" in worksheet
    assert (tmp_path / "moodle-feedback-01-tensors.zip").exists()
    write_reports(report, LESSON, lms.CANVAS)
    assert "418224" in (tmp_path / "canvas-01-tensors.csv").read_text()
    assert oct((tmp_path / "grades-01-tensors.csv").stat().st_mode & 0o777) == "0o600"
