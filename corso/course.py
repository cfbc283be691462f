"""The course folder: its nbgrader configuration and its lessons, found from the folder a command runs in;
and an nbgrader course in a folder (``GradingCourse``), where lessons are graded."""

import copy
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, SaveAutoGrades
from traitlets.config.loader import PyFileConfigLoader

from corso.lessons import find_lessons


class CourseError(Exception):
    """The folder is not a course folder, or has no such lesson; the message says which and where."""


def course_root(root):
    """``root`` resolved, once it is known to hold a course (``nbgrader_config.py`` and ``source/``)."""
    root = Path(root).resolve()
    if not (root / "nbgrader_config.py").is_file():
        raise CourseError(f"{root} is not a course folder: no nbgrader_config.py there "
                          "(run corso from the course's root folder, or pass --root)")
    if not (root / "source").is_dir():
        raise CourseError(f"{root} is not a course folder: no source/ folder beside nbgrader_config.py")
    return root


def load_config(root):
    """The course's ``nbgrader_config.py``."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(course_root(root))).load_config()


def utc_deadline(text):
    """A deadline as the gradebook keeps it (naive UTC), from "2026-10-15 23:59" (this machine's time zone: the
    zone the times of an LMS's zip are read in), "2026-10-15 23:59 Europe/Rome" or "2026-10-15 23:59 +01:00"."""
    from dateutil import parser, tz
    parts = str(text).split()
    zone = tz.gettz(parts[-1]) if len(parts) > 1 and parts[-1][0].isalpha() else None
    try:
        when = parser.parse(" ".join(parts[:-1]) if zone else str(text))
    except (ValueError, OverflowError):
        raise CourseError(f"deadline {text!r}: not a date and time (e.g. '2026-10-15 23:59' or "
                          "'2026-10-15 23:59 Europe/Rome')") from None
    return (when.replace(tzinfo=zone) if zone else when).astimezone(UTC).replace(tzinfo=None)


def find_lesson(root, lesson_id):
    """The lesson ``lesson_id`` of the course at ``root``."""
    lessons = find_lessons(course_root(root))
    for lesson in lessons:
        if lesson.id == lesson_id:
            return lesson
    raise CourseError(f"no lesson {lesson_id!r} in {Path(root, 'source')} "
                      f"(lessons: {', '.join(lesson.id for lesson in lessons) or 'none'})")


def gradebook_marks(db_url, notebook_id, lesson_id, student):
    """({grade id: score, None while a written answer awaits the instructor}, {grade id: the instructor's
    comment}) from the gradebook; ({}, {}) for a submission never graded.

    A test cell that lost its nbgrader metadata awaits manual grading in nbgrader: it counts 0 here."""
    with Gradebook(db_url) as gradebook:
        try:
            notebook = gradebook.find_submission_notebook(notebook_id, lesson_id, student)
        except MissingEntry:
            return {}, {}
        scores = {grade.name: None if grade.needs_manual_grade and grade.cell.cell_type == "markdown"
                  else grade.score for grade in notebook.grades}
        comments = {comment.name: comment.manual_comment for comment in notebook.comments if comment.manual_comment}
        return scores, comments


class GradingCourse:
    """An nbgrader course folder for grading the course's lessons."""

    def __init__(self, root, workdir, db_url=None, timeout=None, sandbox=True, deadline=None):
        self.root = Path(root).resolve()
        self.workdir = Path(workdir).resolve()
        self.config = load_config(self.root)
        if not sandbox:  # the course's Execute step, with the kernel run as any other (--no-sandbox)
            self.config.GuardedExecute.sandboxed = False
        self.config.CourseDirectory.root = str(self.workdir)
        self.config.CourseDirectory.release_directory = "release"
        self.config.CourseDirectory.db_url = db_url or f"sqlite:///{self.workdir / 'gradebook.db'}"
        if timeout:
            self.config.Execute.timeout = timeout
        # A feedback page holds a student's work: the instructor's alone, as corso grade writes it (octal digits).
        self.config.GenerateFeedback.permissions = 600
        self.workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.deadline = deadline

    @property
    def db_url(self):
        return self.config.CourseDirectory.db_url

    def api(self, config=None):
        config = config or self.config
        return NbGraderAPI(CourseDirectory(config=config), config=config)

    def add_lesson(self, lesson):
        """Put the lesson's source in the course and record its graded cells in the gradebook."""
        target = self.workdir / "source" / lesson.id
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(lesson.source.parent, target)
        self._check(self.api().generate_assignment(lesson.id, force=True, create=True), lesson.id)
        if deadline := self.deadline_of(lesson):
            with Gradebook(self.db_url) as gradebook:
                gradebook.update_or_create_assignment(lesson.id, duedate=utc_deadline(deadline))

    def deadline_of(self, lesson):
        """The lesson's deadline as given: ``--deadline``, else ``c.Corso.deadlines`` in nbgrader_config.py; or None."""
        return self.deadline or self.config.get("Corso", {}).get("deadlines", {}).get(lesson.id)

    def submit(self, lesson, student, notebook, modified=None):
        """Place a student's notebook (a path or a notebook) where nbgrader collects it, with its submission time."""
        folder = self.workdir / "submitted" / student / lesson.id
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        if isinstance(notebook, Path):
            shutil.copyfile(notebook, folder / f"{lesson.slug}.ipynb")
            modified = modified or notebook.stat().st_mtime
        else:
            nbformat.write(notebook, folder / f"{lesson.slug}.ipynb")
        stamp = datetime.fromtimestamp(modified or time.time(), UTC)
        (folder / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))

    def autograde(self, lesson, student):
        self._check(self.api().autograde(lesson.id, student, force=True, create=True), f"{lesson.id}/{student}")

    def record(self, lesson, student, graded_folder):
        """Write into the gradebook the scores of a submission that another process executed and graded.

        ``graded_folder`` holds ``<student>/<lesson>/`` as that process's autograde left it; nbgrader's own
        SaveAutoGrades reads the scores from it, exactly as at the end of an autograde run.
        """
        config = copy.deepcopy(self.config)
        config.CourseDirectory.submitted_directory = str(graded_folder)
        shutil.copyfile(self.workdir / "submitted" / student / lesson.id / "timestamp.txt",
                        Path(graded_folder, student, lesson.id, "timestamp.txt"))
        config.Autograde.sanitize_preprocessors = []
        config.Autograde.autograde_preprocessors = [SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
        self._check(self.api(config).autograde(lesson.id, student, force=True, create=True),
                    f"{lesson.id}/{student}")

    def autograded(self, lesson, student):
        return nbformat.read(self.workdir / "autograded" / student / lesson.id / f"{lesson.slug}.ipynb",
                             as_version=4)

    def feedback(self, lesson, student):
        self._check(self.api().generate_feedback(lesson.id, student, force=True),
                    f"{lesson.id}/{student} feedback")

    def lateness(self, lesson, student):
        """(seconds past the deadline, late penalty in points) of a graded submission, from the gradebook."""
        with Gradebook(self.db_url) as gradebook:
            try:
                submission = gradebook.find_submission(lesson.id, student)
            except MissingEntry:
                return 0.0, 0.0
            return submission.total_seconds_late, submission.late_submission_penalty or 0.0

    def scores(self, lesson, student):
        """{grade id: score, or None where a written answer awaits the instructor}; {} if never graded."""
        return gradebook_marks(self.db_url, lesson.slug, lesson.id, student)[0]

    @staticmethod
    def _check(result, what):
        if not result["success"]:
            raise CourseError(f"{what}: {result.get('error') or ''}\n{result.get('log') or ''}")


def lesson_source(config, resources):
    """The lesson's source notebook in the nbgrader course that ``config`` names (the course's own copy,
    trusted, never the student's), for the notebook an nbgrader converter is processing."""
    coursedir = CourseDirectory(config=config)
    info = resources["nbgrader"]
    return Path(coursedir.format_path(coursedir.source_directory, ".", info["assignment"]),
                f"{info['notebook']}.ipynb")
