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
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from corso import lms
from corso.grading import GradingError

STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints"}
ONLY_REGULAR = "refused: only regular files are collected"
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
    late_seconds: float = 0.0  # past the lesson's deadline, from the gradebook (0: on time, or no deadline)
    penalty: float = 0.0  # nbgrader's late-submission penalty, in points
    members: list = field(default_factory=list)  # a group submission: its members, as the LMS's roster lists them

    @property
    def points(self):
        """The points of the graded cells, before any late penalty."""
        return sum(score for score in self.scores.values() if score is not None)

    @property
    def total(self):
        """The grade in points: the cells' points less the late penalty (never below 0)."""
        return max(0.0, self.points - self.penalty)


def collect(submissions, lesson, scratch, roster=None):
    """(submissions, ignored files, LMS layout or None) of a folder or zip (unpacked into ``scratch``).
    ``roster``: the participants of Moodle's grading worksheet (``lms.read_roster``), who is in which group."""
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
    _add_members(collected, layout, roster)
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
                                                  f"outside the submissions), {ONLY_REGULAR}")
    kind = "a symbolic link" if stat.S_ISLNK(mode) else "a FIFO" if stat.S_ISFIFO(mode) else \
        "a socket" if stat.S_ISSOCK(mode) else "a device"
    return f"{kind}, {ONLY_REGULAR}"


def _note_refused(refused, submissions, owner, candidates, notes):
    """A line for each refused entry, in its owner's notes ("" when it is in no student's folder)."""
    for path, why in refused:
        inside = path.is_relative_to(submissions)
        name = path.relative_to(submissions).as_posix() if inside else path.name
        student = owner(name) if inside else ""
        if student:
            candidates.setdefault(student, [])
        notes.setdefault(student, []).append(f"{name}: {why}")


def _student_folder(name):
    """The naming rule's student of a path in the submissions: its top folder ("" for a top-level entry)."""
    return name.split("/")[0] if "/" in name else ""


DEFAULT_GROUP = "default-group"  # the student id of Moodle's default group, the one group with no id


def _lms_participant(name):
    """The LMS participant a path in the download belongs to ("" when its name says none)."""
    try:
        entry = lms.read_entries([name])[0]
    except (lms.LmsFormatError, IndexError):
        return ""
    return entry.participant or DEFAULT_GROUP


def _from_lms(folder, files):
    """Moodle or Canvas: the layout, {participant: files}, {participant: name}, {participant: notes}."""
    entries = lms.read_entries([path.relative_to(folder).as_posix() for path in files])
    candidates, names, notes = {}, {}, {}
    for participant, found in lms.by_participant(entries).items():
        participant = participant or DEFAULT_GROUP
        names[participant] = found[0].name
        for entry in found:
            path = folder / entry.path
            if entry.kind != "file":
                notes.setdefault(participant, []).append(f"a {entry.kind} entry of Canvas ({entry.filename}) ignored: "
                                                         "only notebooks are graded")
            elif path.suffix == ".ipynb":
                candidates.setdefault(participant, []).append(path)
            else:
                notes.setdefault(participant, []).append(f"extra file {entry.filename} ignored")
        if any(entry.late for entry in found):
            notes.setdefault(participant, []).append("Canvas marked it LATE")
        candidates.setdefault(participant, [])
    return entries[0].layout, candidates, names, notes


def _add_members(collected, layout, roster):
    """Each submission's people in the LMS's roster: a group's members (found by the group's name, the only
    thing a Moodle download says of a group), or the one participant; a line for any not in the roster."""
    moodle = layout in (lms.MOODLE_FOLDERS, lms.MOODLE_FLAT)
    if roster is None:
        if any(submission.student == DEFAULT_GROUP for submission in collected) and moodle:
            raise GradingError("this Moodle download holds group submissions (a folder of the default group, "
                               "with no id): Moodle's names do not say who is in a group; download the grading "
                               "worksheet of the same assignment and pass it with --roster")
        return
    if not moodle:
        raise GradingError("--roster is Moodle's grading worksheet, and these submissions are not a Moodle download")
    groups = any(person.team is not None for person in roster)
    for submission in collected:
        if groups:
            submission.members = [p for p in roster if lms.moodle_folder_name(p.team or "") == submission.name]
            missing = f"the roster has no member of the group {submission.name!r}"
        else:
            submission.members = [p for p in roster if p.participant == submission.student]
            missing = f"participant {submission.student} is not in the roster: the LMS will not take this grade"
        if not submission.members:
            submission.problems.append(missing)


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
    with zipfile.ZipFile(archive) as zipped:
        entries = zipped.infolist()
        if len(entries) > ZIP_LIMITS["entries"]:
            raise GradingError(f"{archive}: {len(entries)} entries, more than the {ZIP_LIMITS['entries']} allowed")
        total, refused = 0, []
        for info in entries:
            try:
                total = _unzip_entry(zipped, info, target, total, refused)
            except (zipfile.BadZipFile, zlib.error, EOFError) as error:
                raise GradingError(f"{archive}: the entry {info.filename} is damaged ({error}); download the zip "
                                   "again") from None
    entries = [entry for entry in target.iterdir() if not _hidden(entry.relative_to(target))]
    if len(entries) == 1 and entries[0].is_dir():  # a zip of one folder holding the class
        return entries[0], refused
    return target, refused


def _unzip_entry(zipped, info, target, total, refused):
    """Unpack one entry under ``target`` (see ``_unzip``); the bytes unpacked so far, this entry's added."""
    archive = zipped.filename
    path = (target / info.filename).resolve()
    if info.is_dir() or not path.is_relative_to(target):
        return total
    if clash := _clash(path, target):
        refused.append((path, f"refused: the zip has {clash.relative_to(target).as_posix()} both as a file "
                              "and as a folder (the first entry is kept)"))
        return total
    path.parent.mkdir(parents=True, exist_ok=True)
    if stat.S_ISLNK(info.external_attr >> 16):
        refused.append((path, f"a symbolic link in the zip, {ONLY_REGULAR}"))
        return total
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
    return total


def _clash(path, top):
    """The part of ``path`` (under ``top``) that an earlier entry made a file where a folder is needed, or that
    is a folder already where the file would go; None when the entry can be written."""
    for parent in path.relative_to(top).parents:
        if (top / parent).exists() and not (top / parent).is_dir():
            return top / parent
    return path if path.is_dir() else None


def _hidden(relative):
    return any(part.startswith(".") or part in IGNORED_PARTS for part in relative.parts)
