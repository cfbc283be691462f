"""The classroom's exchange, from the grading side: each student's latest complete submission, known by who owns
it, and each student's feedback page put where only that student can find it.

nbgrader's filesystem exchange (nbgrader/exchange/default/, 0.9.6), one course per language
(``COURSE-it``, ``COURSE-en``), under ``EXCHANGE/COURSE/``:

- ``outbound/LESSON/``: the release, readable by everyone (``corso classroom release``);
- ``inbound/`` (mode 1733: students write, nobody lists, nobody removes what is not theirs): ``submit.py`` makes
  ``STUDENT+LESSON+TIMESTAMP+RANDOM/``, copies the notebooks into it, then writes ``timestamp.txt`` and
  ``submission_secret.txt``, then chmods the folder 0777. STUDENT and TIMESTAMP are the student's word (``--student``,
  their clock), so neither is believed here: a submission belongs to the Unix user who owns its folder and its
  notebook (the kernel's word), and it was handed in at the folder's ctime, which its owner can make later (a
  chmod, a new file) but never earlier. A folder without its secret was cut short (the student's server died
  mid-copy) and is not graded; the student's last complete one is. Only the lesson's notebook is read, within a
  size limit: nothing else a student puts in the exchange is opened;
- ``feedback/`` (mode 0711: nobody lists it): ``release_feedback.py`` names a student's page
  ``md5(secret + notebook id).html``; the secret is in the submission and in the student's own cache, so only
  that student's ``fetch_feedback`` finds it.
"""

import hashlib
import os
import pwd
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from corso.files import write_atomic

NAME = re.compile(r"(?P<student>[^+]+)\+(?P<lesson>[^+]+)\+(?P<timestamp>[^+]+)\+(?P<random>[^+]+)")
SECRET = re.compile(r"[0-9a-f]{128}")
NOTEBOOK_BYTES = 64 << 20  # as a zip entry's limit in corso.grading.collect


@dataclass
class Handed:
    """A complete submission in the exchange."""

    student: str  # the Unix user who owns it
    course: str
    folder: Path
    notebook: Path
    handed_in: float  # the folder's ctime
    secret: str


@dataclass
class Collected:
    """What the exchange says of the students whose notebooks ``corso grade`` gathers from it."""

    notes: dict  # login -> problem lines
    ignored: list  # lines about what was not graded
    people: dict = field(default_factory=dict)  # login -> {"name", "email"} (the classroom's list)

    def annotate(self, submissions, roster=None):
        """Add the names and problem lines to the collected ``submissions``; with ``roster`` (Moodle's grading
        worksheet) each student is its participant of the same email, and the Moodle files are written: the
        layout ``corso grade`` reports for (None: no LMS files)."""
        from corso import lms
        by_email = {person.email.lower(): person for person in roster or [] if person.email}
        for submission in submissions:
            person = self.people.get(submission.student, {})
            submission.name = person.get("name", "")
            submission.problems.extend(self.notes.get(submission.student, []))
            if roster is not None:
                participant = by_email.get(person.get("email", "").lower())
                submission.members = [participant] if participant else []
                if not participant:
                    submission.problems.append("no participant of the --roster worksheet has this student's email: "
                                               "not in the Moodle files")
        return lms.MOODLE_FOLDERS if roster is not None else None


LANGUAGES = ("it", "en")
# The exchange's folders and their modes; the exchange's own folder is 1777, as nbgrader's students require it
# writable (Exchange.ensure_root), with the sticky bit, so that no student can rename or remove a course.
MODES = {".": 0o755, "outbound": 0o755, "inbound": 0o1733, "feedback": 0o711}


def course_of(course_id, language):
    """The exchange's course of a language."""
    return f"{course_id}-{language}"


def ensure_courses(exchange, course_id):
    """The exchange's folders, owned by root with their modes (again, if someone changed them)."""
    exchange = Path(exchange)
    exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(exchange, 0o1777)
    for language in LANGUAGES:
        for part, mode in MODES.items():
            folder = exchange / course_of(course_id, language) / part
            folder.mkdir(parents=True, exist_ok=True)
            os.chown(folder, 0, 0)
            os.chmod(folder, mode)


def latest_submissions(exchange, course_id, lesson, students):
    """(the latest complete submission of each student in ``students``, {student: problem lines}, ignored
    lines) of ``lesson`` in the inbound folders of ``exchange``'s courses."""
    latest, notes, ignored = {}, {}, []
    for course in (course_of(course_id, language) for language in LANGUAGES):
        inbound = Path(exchange) / course / "inbound"
        for entry in sorted(os.scandir(inbound), key=lambda entry: entry.name) if inbound.is_dir() else []:
            match = NAME.fullmatch(entry.name)
            if match and match["lesson"] != lesson.id:
                continue
            handed = _submission(entry, course, lesson, students, notes, ignored)
            if handed and (handed.student not in latest or handed.handed_in > latest[handed.student].handed_in):
                latest[handed.student] = handed
    return latest, notes, ignored


def _submission(entry, course, lesson, students, notes, ignored):
    """The Handed of an inbound entry, or None with a line saying why."""
    where = f"{course}/inbound/{entry.name}"
    info = entry.stat(follow_symlinks=False)
    owner = _login(info.st_uid)
    if owner not in students:
        ignored.append(f"{where}: owned by {owner}, not a student of the classroom")
        return None
    problems = notes.setdefault(owner, [])
    match = NAME.fullmatch(entry.name)
    if not stat.S_ISDIR(info.st_mode) or not match:
        problems.append(f"{where}: not a submission made by nbgrader (ignored)")
        return None
    folder = Path(entry.path)
    secret = _small_text(folder / "submission_secret.txt", info.st_uid)
    if not secret or not SECRET.fullmatch(secret):
        problems.append(f"a submission cut short (at {match['timestamp']}, no submission_secret.txt) ignored")
        return None
    notebook = folder / f"{lesson.slug}.ipynb"
    refusal = _refusal(notebook, info.st_uid)
    if refusal:
        problems.append(f"{where}/{notebook.name}: {refusal} (ignored)")
        return None
    if match["student"] != owner:
        problems.append(f"handed in under the name {match['student']!r}: graded as its owner, {owner}")
    return Handed(owner, course, folder, notebook, info.st_ctime, secret)


def _login(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _refusal(path, uid):
    """Why the notebook at ``path`` is not graded (None: it is), looked at with lstat only."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return "no such notebook"
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        return "not a regular file of its own (a link)"
    if info.st_uid != uid:
        return f"owned by {_login(info.st_uid)}, not by the submission's owner"
    if info.st_size > NOTEBOOK_BYTES:
        return f"{info.st_size >> 20} MiB, over the {NOTEBOOK_BYTES >> 20} MiB limit"
    return None


def _small_text(path, uid):
    """The text of a small regular file owned by ``uid``, or None."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_uid != uid or info.st_size > 1024:
        return None
    return path.read_text(errors="replace").strip()


def gather(latest, lesson, target):
    """Copy each submission's notebook to ``target/STUDENT/NOTEBOOK`` (a folder ``corso grade`` collects), dated
    when it was handed in."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for old in target.iterdir():
        if old.name not in latest:
            shutil.rmtree(old)
    for student, handed in latest.items():
        copy = target / student / f"{lesson.slug}.ipynb"
        copy.parent.mkdir(exist_ok=True)
        with open(handed.notebook, "rb", opener=_no_follow) as source:
            write_atomic(copy, source.read(), mode=0o600)
        os.utime(copy, (handed.handed_in, handed.handed_in))
    return target


def _no_follow(path, flags):
    return os.open(path, flags | os.O_NOFOLLOW)


def feedback_name(secret, notebook_id):
    """The name nbgrader's release_feedback gives a page (nbgrader.utils.notebook_hash, its secret method)."""
    return hashlib.md5((secret + notebook_id).encode()).hexdigest() + ".html"


def release_feedback(latest, lesson, workdir, exchange):
    """Put each graded student's feedback page in their course's ``feedback/``; the students whose page went."""
    released = []
    for student, handed in sorted(latest.items()):
        page = Path(workdir) / "feedback" / student / lesson.id / f"{lesson.slug}.html"
        if not page.is_file():
            continue
        folder = Path(exchange) / handed.course / "feedback"
        destination = folder / feedback_name(handed.secret, lesson.slug)
        content = page.read_bytes()
        if not destination.is_file() or destination.read_bytes() != content:
            write_atomic(destination, content, mode=0o644)
        released.append(student)
    return released
