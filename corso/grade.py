"""Grade submissions with nbgrader in a grading folder of the instructor's (never inside release/).

The grading folder is an nbgrader course: ``source/`` (the lessons), ``submitted/<student>/<lesson>/``,
``autograded/``, ``feedback/`` and the gradebook (``gradebook.db``, SQLite, unless a database URL is given).
Graded cells are identical in both languages, so one gradebook grades Italian and English submissions alike.
"""

import copy
import shutil
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from corso.build import load_config


class GradingError(Exception):
    """nbgrader could not grade a submission; the message carries nbgrader's own log."""


@dataclass
class Score:
    grade_id: str
    score: float
    max_score: float
    needs_manual_grade: bool


class GradingCourse:
    """An nbgrader course folder for grading the course's lessons."""

    def __init__(self, root, workdir, db_url=None):
        self.root = Path(root).resolve()
        self.workdir = Path(workdir).resolve()
        self.config = copy.deepcopy(load_config(self.root))
        self.config.CourseDirectory.root = str(self.workdir)
        self.config.CourseDirectory.release_directory = "release"
        self.config.CourseDirectory.db_url = db_url or f"sqlite:///{self.workdir / 'gradebook.db'}"
        self.workdir.mkdir(parents=True, exist_ok=True)

    @property
    def db_url(self):
        return self.config.CourseDirectory.db_url

    def api(self):
        return NbGraderAPI(CourseDirectory(config=self.config), config=self.config)

    def add_lesson(self, lesson):
        """Put the lesson's source in the grading folder and record its graded cells in the gradebook."""
        target = self.workdir / "source" / lesson.id
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(lesson.source.parent, target)
        self._check(self.api().generate_assignment(lesson.id, force=True, create=True), lesson.id)

    def submit(self, lesson, student, notebook):
        """Place a student's notebook where nbgrader collects it (a copy: the original is never touched)."""
        folder = self.workdir / "submitted" / student / lesson.id
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, folder / f"{lesson.slug}.ipynb")

    def autograde(self, lesson, student):
        self._check(self.api().autograde(lesson.id, student, force=True, create=True), f"{lesson.id}/{student}")

    def scores(self, lesson, student):
        """The student's score on every graded cell of the lesson."""
        with Gradebook(self.db_url) as gradebook:
            notebook = gradebook.find_submission_notebook(lesson.slug, lesson.id, student)
            return {grade.name: Score(grade.name, grade.score, grade.max_score, grade.needs_manual_grade)
                    for grade in notebook.grades}

    @staticmethod
    def _check(result, what):
        if not result["success"]:
            raise GradingError(f"{what}: {result.get('error') or ''}\n{result.get('log') or ''}")
