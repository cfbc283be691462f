"""Grading round trips with nbgrader's real gradebook, for every lesson and both languages.

Per lesson, ONE gradebook grades: the solved notebook in Italian and in English (full marks), the untouched
release (0 on every auto-graded cell), and a submission with one exercise answered wrongly (exactly the points
of the other exercises: no later exercise leans on it). Expected scores come from the points in the
notebooks, never typed in.
"""

import pytest
from project import ROOT
from submissions import auto_points, exercises, filled_release

from corso.course import GradingCourse
from corso.lessons import Lesson

pytestmark = pytest.mark.slow


class RoundTrip:
    lesson_id = None

    @staticmethod
    def wrong(lesson):
        """The exercise answered wrongly: the first, (its answer's grade id, the grade ids of its tests)."""
        return next(iter(exercises(lesson).items()))

    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls, tmp_path_factory):
        lesson = Lesson(ROOT, cls.lesson_id)
        folder = tmp_path_factory.mktemp(lesson.id)
        course = GradingCourse(ROOT, folder / "grading")
        course.add_lesson(lesson)
        wrong, _ = cls.wrong(lesson)
        submissions = {
            "solved_it": filled_release(lesson, "it", folder / "solved_it.ipynb"),
            "solved_en": filled_release(lesson, "en", folder / "solved_en.ipynb"),
            "untouched_it": lesson.release("it"),
            "one_wrong_en": filled_release(lesson, "en", folder / "one_wrong_en.ipynb", wrong=[wrong]),
        }
        for student, notebook in submissions.items():
            course.submit(lesson, student, notebook)
            course.autograde(lesson, student)
        return lesson, {student: course.scores(lesson, student) for student in submissions}

    def auto_scores(self, scores, lesson):
        return {grade_id: scores[grade_id] for grade_id in auto_points(lesson)}

    @pytest.mark.parametrize("student", ["solved_it", "solved_en"])
    def test_solved_notebook_scores_full_marks(self, graded, student):
        lesson, scores = graded
        assert self.auto_scores(scores[student], lesson) == auto_points(lesson)
        manual = [score for grade_id, score in scores[student].items() if grade_id not in auto_points(lesson)]
        assert manual and all(score is None for score in manual), "written answers await the instructor"

    def test_untouched_release_scores_zero(self, graded):
        lesson, scores = graded
        assert self.auto_scores(scores["untouched_it"], lesson) == dict.fromkeys(auto_points(lesson), 0)

    def test_one_wrong_exercise_costs_exactly_its_points(self, graded):
        lesson, scores = graded
        _, failing = self.wrong(lesson)
        expected = {grade_id: 0 if grade_id in failing else points for grade_id, points in auto_points(lesson).items()}
        assert failing and self.auto_scores(scores["one_wrong_en"], lesson) == expected


class TestTensors(RoundTrip):
    lesson_id = "01-tensors"


class TestAutograd(RoundTrip):
    lesson_id = "02-autograd"


class TestRegression(RoundTrip):
    lesson_id = "03-regression"


class TestMnistMlp(RoundTrip):
    lesson_id = "04-mnist-mlp"
