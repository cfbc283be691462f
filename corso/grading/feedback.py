"""The student's feedback page: nbgrader's GenerateFeedback with the course's template and one more step.

``nbgrader_config.py`` plugs both in, so the page is made the same way in the grading process of
``corso grade`` and by ``corso feedback`` from the gradebook after the instructor graded written answers:

- ``FeedbackSummary`` (after nbgrader's GetGrades and the steps that hide hidden tests) puts each exercise's
  outcome (``outcomes.classify``) in the student's language into the template's resources, and cuts the test
  cells' bilingual error messages down to that language;
- ``templates/feedback`` (named like nbgrader's own, which nbgrader's API asks for by name): the summary at
  the top, then the notebook with the test cells collapsed, and MathJax inlined (``corso/vendor/mathjax``):
  one HTML file that makes no request at all.
"""

from functools import cache
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from corso.course import gradebook_marks
from corso.grading.outcomes import (
    LABELS,
    classify,
    first_error,
    lesson_title,
    notebook_language,
    split_message,
    title_html,
)
from corso.integrity import lesson_source

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MATHJAX = Path(__file__).resolve().parent.parent / "vendor" / "mathjax" / "tex-svg-full.js"


@cache
def mathjax_script():
    return MATHJAX.read_text(encoding="utf-8")


class FeedbackSummary(NbGraderPreprocessor):
    """The outcomes of the exercises, in the submission's language, for the feedback template."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        source = nbformat.read(lesson_source(self.config, resources), as_version=4)
        language = notebook_language(nb)
        scores, comments = gradebook_marks(info["db_url"], info["notebook"], info["assignment"], info["student"])
        outcomes = classify(nb, source, scores, comments, language)
        resources["corso"] = {
            "language": language,
            "labels": LABELS[language],
            "lesson_title": lesson_title(source, language),
            "outcomes": outcomes,
            "titles": {outcome.grade_id: title_html(outcome.title) for outcome in outcomes},
            "mathjax": mathjax_script(),
        }
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        """A test cell's error message in the student's language only."""
        meta = cell.metadata.get("nbgrader", {})
        error = first_error(cell) if cell.cell_type == "code" and meta.get("grade") else None
        if error is not None:
            error.evalue = split_message(error.evalue, resources["corso"]["language"])
            error.traceback = [f"{error.ename}: {error.evalue}"]
        return cell, resources


def regenerate(root, lesson, workdir, db_url=None):
    """Make the feedback page of every graded submission of ``lesson`` again, from the gradebook (with the
    instructor's scores and comments); return the pages, in student order."""
    from corso.course import CourseError, GradingCourse
    course = GradingCourse(root, workdir, db_url)
    autograded = course.workdir / "autograded"
    graded = sorted(folder.name for folder in (autograded.iterdir() if autograded.is_dir() else [])
                    if (folder / lesson.id / f"{lesson.slug}.ipynb").is_file())
    if not graded:
        raise CourseError(f"nothing graded for {lesson.id} in {course.workdir}: run corso grade first")
    for student in graded:
        course.feedback(lesson, student)
    return [course.workdir / "feedback" / student / lesson.id / f"{lesson.slug}.html" for student in graded]
