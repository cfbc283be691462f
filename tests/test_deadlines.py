"""Submission times and deadlines: each submission's time reaches the gradebook, a late one is marked late in
the CSV and in the LMS's comment, and nbgrader's late-penalty plugin applies when the course configures it."""

import csv
import os
from datetime import datetime

import pytest
from submissions import filled_release

from corso.course import utc_deadline
from corso.grading import grade_class
from corso.lessons import Lesson

pytestmark = pytest.mark.slow

DEADLINE = "2026-10-15 23:59"


def handed_in(lesson, path, when, language="it"):
    """A solved notebook, its time set to ``when`` (as the time of an LMS's zip entry sets it)."""
    stamp = datetime.strptime(when, "%Y-%m-%d %H:%M").timestamp()
    path.parent.mkdir(parents=True, exist_ok=True)
    filled_release(lesson, language, path)
    os.utime(path, (stamp, stamp))


def test_a_late_submission_is_marked_and_penalised_as_the_course_says(course_copy, tmp_path):
    from nbgrader.api import Gradebook
    with open(course_copy / "nbgrader_config.py", "a") as config:
        config.write(f'\nc.Corso.deadlines = {{"01-tensors": "{DEADLINE}"}}\n'
                     'c.LateSubmissionPlugin.penalty_method = "zero"\n')
    lesson = Lesson(course_copy, "01-tensors")
    submissions = tmp_path / "handed-in"
    handed_in(lesson, submissions / "ontime" / "tensors.ipynb", "2026-10-15 23:58")
    handed_in(lesson, submissions / "late" / "tensors.ipynb", "2026-10-16 02:29", "en")
    report = grade_class(course_copy, lesson, submissions, tmp_path / "grading", jobs=2)
    by_student = {s.student: s for s in report.submissions}
    ontime, late = by_student["ontime"], by_student["late"]
    assert ontime.late_seconds == 0 and ontime.points == ontime.total == report.max_total - 2  # written: pending
    assert late.late_seconds == 2.5 * 3600 and late.points == ontime.points and late.penalty == late.points
    assert late.total == 0 and "handed in late: 2 h 30 min after the deadline; late penalty -11 points" in late.problems
    rows = {row["student"]: row for row in csv.DictReader(open(report.csv))}
    assert (rows["late"]["late (hours)"], rows["late"]["late penalty"], rows["late"]["total"]) == ("2.5", "11", "0")
    assert (rows["ontime"]["late (hours)"], rows["ontime"]["late penalty"], rows["ontime"]["total"]) == ("", "", "11")
    with Gradebook(f"sqlite:///{tmp_path / 'grading' / 'gradebook.db'}") as gradebook:  # the files' times, in UTC
        assert gradebook.find_submission("01-tensors", "ontime").timestamp == utc_deadline("2026-10-15 23:58")
        assert gradebook.find_submission("01-tensors", "late").timestamp == utc_deadline("2026-10-16 02:29")


def test_a_deadline_that_is_not_a_date_is_one_line(course_copy, tmp_path):
    from corso.course import CourseError
    with pytest.raises(CourseError, match=r"^deadline 'venerdì': not a date and time"):
        grade_class(course_copy, Lesson(course_copy, "01-tensors"), tmp_path, tmp_path / "g", deadline="venerdì",
                    sandbox=False)
