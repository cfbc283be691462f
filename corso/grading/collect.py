"""Collect: a folder, a zip or an LMS download -> one Submission per student.

Layouts, recognised automatically:

- Moodle's and Canvas's "download all submissions" zips (see ``corso.lms``): the student id is the LMS's
  participant id; the student's name is kept;
- ``SUBMISSIONS/<student>/...anything.../<notebook>.ipynb``: the student id is the top-level folder name;
- ``SUBMISSIONS/<student>.ipynb``: the student id is the file name without ``.ipynb``.

A student with several notebooks: the one named like the lesson's notebook (``tensors.ipynb``) is preferred,
and among equals the latest (modification time, or the zip entry's time) wins; the others are listed as
ignored. Files that are not notebooks are ignored and listed. Two students whose ids clean to the same name
are refused, naming both. A zip is unpacked within limits (entries, sizes, no path outside the folder).
"""

import os
import re
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from corso import lms
from corso.grading import GradingError

STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints"}
ZIP_LIMITS = {"entries": 20_000, "entry_bytes": 64 << 20, "total_bytes": 2 << 30}


@dataclass
class Submission:
    """One student's notebook, as collected, and what grading found about it."""

    student: str
    notebook: Path | None  # None: nothing gradable was handed in
    modified: float = 0.0
    language: str = "?"
    name: str = ""  # the student's name, when the LMS gave it
    handed_in_as: str = ""  # the folder, file or LMS participant it came from
    problems: list = field(default_factory=list)
    scores: dict = field(default_factory=dict)  # grade id -> points (None: awaits manual grading)

    @property
    def total(self):
        return sum(score for score in self.scores.values() if score is not None)


def collect(submissions, lesson, scratch):
    """(submissions, ignored files, LMS layout or None) of a folder or zip (unpacked into ``scratch``)."""
    submissions = Path(submissions)
    if zipfile.is_zipfile(submissions):
        submissions = _unzip(submissions, Path(scratch))
    elif not submissions.is_dir():
        raise GradingError(f"{submissions}: expected a folder or a zip of submissions")
    files = [path for path in sorted(submissions.rglob("*"))
             if path.is_file() and not _hidden(path.relative_to(submissions))]
    try:
        layout, candidates, names, notes = _from_lms(submissions, files)
    except lms.LmsFormatError:
        layout, (candidates, names, notes) = None, _from_folders(submissions)
    collected = [_choose(student, found, lesson, notes.get(student, []), names.get(student, ""))
                 for student, found in sorted(candidates.items())]
    _refuse_collisions(collected)
    return collected, notes.get("", []), layout


def _from_lms(folder, files):
    """Moodle or Canvas: the layout, {participant: files}, {participant: name}, {participant: notes}."""
    entries = lms.read_entries([path.relative_to(folder).as_posix() for path in files])
    candidates, names, notes = {}, {}, {}
    for participant, found in lms.by_participant(entries).items():
        names[participant] = found[0].name
        for entry in found:
            path = folder / entry.path
            if path.suffix == ".ipynb":
                candidates.setdefault(participant, []).append(path)
            else:
                notes.setdefault(participant, []).append(f"extra file {entry.filename} ignored")
        candidates.setdefault(participant, [])
    return entries[0].layout, candidates, names, notes


def _from_folders(submissions):
    candidates, notes = {}, {}
    for entry in sorted(submissions.iterdir()):
        if entry.name.startswith(".") or entry.name in IGNORED_PARTS:
            continue
        if entry.is_dir():
            files = [f for f in sorted(entry.rglob("*")) if f.is_file() and not _hidden(f.relative_to(entry))]
            student = entry.name
        else:
            files, student = [entry], entry.stem if entry.suffix == ".ipynb" else None
        if student is None:
            notes.setdefault("", []).append(f"{entry.name}: not a notebook, ignored")
            continue
        for file in files:
            if file.suffix == ".ipynb":
                candidates.setdefault(student, []).append(file)
            else:
                notes.setdefault(student, []).append(f"extra file {file.relative_to(submissions)} ignored")
        candidates.setdefault(student, [])
    return candidates, {}, notes


def _choose(student, files, lesson, problems, name=""):
    submission = Submission(_student_id(student, problems), None, name=name, handed_in_as=student,
                            problems=list(problems))
    if not files:
        submission.problems.append("no notebook handed in")
        return submission
    wanted = f"{lesson.slug}.ipynb"
    best = max(files, key=lambda f: (f.name == wanted, f.stat().st_mtime, f.name))
    submission.notebook, submission.modified = best, best.stat().st_mtime
    if best.name != wanted and best.stem != student and not name:
        submission.problems.append(f"notebook named {best.name}, expected {wanted}")
    for other in files:
        if other != best:
            submission.problems.append(f"also handed in {other.name}: ignored, the latest wins")
    return submission


def _student_id(name, problems):
    if STUDENT_ID.fullmatch(name):
        return name
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip("_.-") or "student"
    problems.append(f"student id {name!r} has characters nbgrader refuses: graded as {cleaned!r}")
    return cleaned


def _refuse_collisions(collected):
    seen = {}
    for submission in collected:
        other = seen.setdefault(submission.student, submission)
        if other is not submission:
            raise GradingError(f"two students would be graded as {submission.student!r}: "
                               f"{other.handed_in_as!r} and {submission.handed_in_as!r}; rename one and grade again")


def _unzip(archive, scratch):
    """Unpack a zip safely: no path escapes the folder, at most ZIP_LIMITS entries and bytes (counted as
    they are read, not as the zip claims), and each entry's time kept as its modification time.

    Returns the folder holding the submissions: the zip's one top-level folder, if it has only that.
    """
    target = scratch / "unzipped"
    shutil.rmtree(target, ignore_errors=True)
    total = 0
    with zipfile.ZipFile(archive) as zipped:
        entries = zipped.infolist()
        if len(entries) > ZIP_LIMITS["entries"]:
            raise GradingError(f"{archive}: {len(entries)} entries, more than the {ZIP_LIMITS['entries']} allowed")
        for info in entries:
            path = (target / info.filename).resolve()
            if info.is_dir() or not path.is_relative_to(target.resolve()):
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            with zipped.open(info) as source, open(path, "wb") as unpacked:
                written = 0
                while chunk := source.read(1 << 20):
                    written += len(chunk)
                    total += len(chunk)
                    if written > ZIP_LIMITS["entry_bytes"] or total > ZIP_LIMITS["total_bytes"]:
                        raise GradingError(f"{archive}: {info.filename} unpacks past the size limit "
                                           f"({ZIP_LIMITS['entry_bytes'] >> 20} MiB a file, "
                                           f"{ZIP_LIMITS['total_bytes'] >> 20} MiB in all): not a class's work")
                    unpacked.write(chunk)
            stamp = time.mktime(info.date_time + (0, 0, -1))
            os.utime(path, (stamp, stamp))
    entries = [entry for entry in target.iterdir() if not _hidden(entry.relative_to(target))]
    if len(entries) == 1 and entries[0].is_dir():  # a zip of one folder holding the class
        return entries[0]
    return target


def _hidden(relative):
    return any(part.startswith(".") or part in IGNORED_PARTS for part in relative.parts)
