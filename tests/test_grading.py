"""Grading round trips with nbgrader's real gradebook, for every lesson and both languages.

Per lesson, ONE gradebook grades: the solved notebook in Italian and in English (full marks), the untouched
releases (0 on every auto-graded cell), and a submission with one exercise answered wrongly (exactly the points
of the other exercises: no later exercise leans on it). Expected scores come from the points in the
notebooks, never typed in. No false alarm: the reference solution, in both languages, gets no problem line at
all (screening, execution, guard); the untouched release only "not answered" for each graded cell.
"""

import nbformat
import pytest
from project import ROOT
from submissions import auto_points, exercises, filled_release

from corso.course import GradingCourse
from corso.grading.collect import Submission
from corso.grading.record import execution_problems
from corso.grading.screen import screen
from corso.grading.verdict import make_reference
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
        make_reference(course, lesson)
        wrong, _ = cls.wrong(lesson)
        submissions = {
            "solved_it": filled_release(lesson, "it", folder / "solved_it.ipynb"),
            "solved_en": filled_release(lesson, "en", folder / "solved_en.ipynb"),
            "untouched_it": lesson.release("it"),
            "untouched_en": lesson.release("en"),
            "one_wrong_en": filled_release(lesson, "en", folder / "one_wrong_en.ipynb", wrong=[wrong]),
        }
        release_nb = nbformat.read(lesson.release("it"), as_version=4)
        problems = {}
        for student, notebook in submissions.items():
            submission = Submission(student, notebook)
            nb = screen(submission, release_nb)
            course.submit(lesson, student, nb)
            course.autograde(lesson, student)
            graded = course.autograded(lesson, student)
            problems[student] = [*submission.problems, *execution_problems(graded), *graded.metadata.corso.review]
        return lesson, {student: course.scores(lesson, student) for student in submissions}, problems

    def auto_scores(self, scores, lesson):
        return {grade_id: scores[grade_id] for grade_id in auto_points(lesson)}

    @pytest.mark.parametrize("student", ["solved_it", "solved_en"])
    def test_solved_notebook_scores_full_marks(self, graded, student):
        lesson, scores, _ = graded
        assert self.auto_scores(scores[student], lesson) == auto_points(lesson)
        manual = [score for grade_id, score in scores[student].items() if grade_id not in auto_points(lesson)]
        assert manual and all(score is None for score in manual), "written answers await the instructor"

    @pytest.mark.parametrize("student", ["solved_it", "solved_en"])
    def test_the_reference_solution_raises_no_problem(self, graded, student):
        *_, problems = graded
        assert problems[student] == []

    @pytest.mark.parametrize("student", ["untouched_it", "untouched_en"])
    def test_the_untouched_release_is_only_not_answered(self, graded, student):
        lesson, scores, problems = graded
        assert problems[student] == [f"{test}: not answered" for test in scores[student]], problems[student]

    def test_untouched_release_scores_zero(self, graded):
        lesson, scores, _ = graded
        assert self.auto_scores(scores["untouched_it"], lesson) == dict.fromkeys(auto_points(lesson), 0)

    def test_one_wrong_exercise_costs_exactly_its_points(self, graded):
        lesson, scores, _ = graded
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


class TestDebugging(RoundTrip):
    lesson_id = "05-debugging"
