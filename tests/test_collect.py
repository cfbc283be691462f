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
