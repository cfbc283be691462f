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

Only regular files are read. Symbolic links (to files or folders), hard links (a file with more than one
name: the other may be outside the submissions), devices, FIFOs and sockets are refused, each with a line in
that student's problems (or in the ignored list, outside any student's folder); they are listed with lstat,
never followed and never opened. A zip entry marked as a symbolic link is refused the same way.
"""

import os
import re
import shutil
import stat
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
    refused = []
    if zipfile.is_zipfile(submissions):
        submissions, refused = _unzip(submissions, Path(scratch))
    elif not submissions.is_dir():
        raise GradingError(f"{submissions}: expected a folder or a zip of submissions")
    folders, files, special = _listing(submissions)
    try:
        layout, candidates, names, notes = _from_lms(submissions, files)
        owner = _lms_participant
    except lms.LmsFormatError:
        layout, (candidates, names, notes) = None, _from_folders(submissions, folders, files)
        owner = _student_folder
    _note_refused(refused + special, submissions, owner, candidates, notes)
    collected = [_choose(student, found, lesson, notes.get(student, []), names.get(student, ""))
                 for student, found in sorted(candidates.items())]
    _refuse_collisions(collected)
    return collected, notes.get("", []), layout


def _listing(root):
    """(folders, regular files, refused [(path, why)]) under ``root``, hidden names left out. Every entry is
    read with lstat: no link is followed, and nothing but a folder is opened."""
    folders, files, refused = [], [], []
    pending = [root]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if _hidden(Path(entry.name)):
                    continue
                path, status = Path(entry.path), entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(status.st_mode):
                    folders.append(path)
                    pending.append(path)
                elif (why := _refusal(status)) is None:
                    files.append(path)
                else:
                    refused.append((path, why))
    return sorted(folders), sorted(files), sorted(refused)


def _refusal(status):
    """Why an entry that is not a folder is refused, from its lstat; None for a regular file of one name."""
    mode = status.st_mode
    if stat.S_ISREG(mode):
        return None if status.st_nlink == 1 else (f"a hard link ({status.st_nlink} names: the others may be "
                                                  "outside the submissions)")
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def _note_refused(refused, submissions, owner, candidates, notes):
    """A line for each refused entry, in its owner's notes ("" when it is in no student's folder)."""
    for path, why in refused:
        inside = path.is_relative_to(submissions)
        name = path.relative_to(submissions).as_posix() if inside else path.name
        student = owner(name) if inside else ""
        if student:
            candidates.setdefault(student, [])
        notes.setdefault(student, []).append(f"{name}: {why}, refused: only regular files are collected")


def _student_folder(name):
    """The naming rule's student of a path in the submissions: its top folder ("" for a top-level entry)."""
    return name.split("/")[0] if "/" in name else ""


def _lms_participant(name):
    """The LMS participant a path in the download belongs to ("" when its name says none)."""
    try:
        return lms.read_entries([name])[0].participant
    except (lms.LmsFormatError, IndexError):
        return ""


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


def _from_folders(submissions, folders, files):
    """The naming rule: {student: notebooks}, no names, {student: notes} ("" for files in no student's folder)."""
    candidates = {folder.name: [] for folder in folders if folder.parent == submissions}
    notes = {}
    for file in files:
        name = file.relative_to(submissions).as_posix()
        student = _student_folder(name)
        if student and file.suffix == ".ipynb":
            candidates[student].append(file)
        elif student:
            notes.setdefault(student, []).append(f"extra file {name} ignored")
        elif file.suffix == ".ipynb":
            candidates.setdefault(file.stem, []).append(file)
        else:
            notes.setdefault("", []).append(f"{name}: not a notebook, ignored")
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
    they are read, not as the zip claims), each entry's time kept as its modification time, and no link made
    (an entry marked as a symbolic link is refused).

    Returns the folder holding the submissions (the zip's one top-level folder, if it has only that) and the
    refused entries [(path, why)].
    """
    target = (scratch / "unzipped").resolve()
    shutil.rmtree(target, ignore_errors=True)
    total, refused = 0, []
    with zipfile.ZipFile(archive) as zipped:
        entries = zipped.infolist()
        if len(entries) > ZIP_LIMITS["entries"]:
            raise GradingError(f"{archive}: {len(entries)} entries, more than the {ZIP_LIMITS['entries']} allowed")
        for info in entries:
            path = (target / info.filename).resolve()
            if info.is_dir() or not path.is_relative_to(target):
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(info.external_attr >> 16):
                refused.append((path, "a symbolic link in the zip"))
                continue
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
        return entries[0], refused
    return target, refused


def _hidden(relative):
    return any(part.startswith(".") or part in IGNORED_PARTS for part in relative.parts)
