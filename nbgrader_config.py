"""nbgrader configuration of the course (run nbgrader, or `corso`, from this folder).

`corso build` generates both languages by overriding the two language settings below:
--CourseDirectory.release_directory=release/en --LanguageFilter.language=en.
"""

from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback
from nbgrader.preprocessors import Execute

from corso.grading.feedback import TEMPLATES

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "pytorch-intro"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release/it"

# The language filter runs first, then nbgrader's own preprocessors.
c.LanguageFilter.language = "it"
c.GenerateAssignment.preprocessors = [
    "corso.language.LanguageFilter",
    *GenerateAssignment.class_traits()["preprocessors"].default(),
]

# What students find in place of a solution: bilingual, and the code stub fails loudly until replaced.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE / IL TUO CODICE QUI\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE / LA TUA RISPOSTA QUI"

# Per-cell limit when a notebook is executed for grading or validation (training cells need more than
# nbgrader's default of 30 s; a cell that runs past it is stopped and the submission scores what passed).
c.Execute.timeout = 120

# Deadlines, per lesson (`corso grade` marks a submission handed in after it; --deadline overrides it for one
# run), and nbgrader's late penalty ("none", the default: marked late, points kept; "zero": a late submission
# scores 0). For example:
# c.Corso.deadlines = {"01-tensors": "2026-10-15 23:59 Europe/Rome"}
# c.LateSubmissionPlugin.penalty_method = "zero"

# Grading: student code runs in the sandbox, each graded test checked by the kernel's guard (corso.grading),
# and a kernel that dies does not abort the submission (the tests that ran keep their points) ...
c.Autograde.autograde_preprocessors = [
    "corso.grading.execute.GuardedExecute",
    *[p for p in Autograde.class_traits()["autograde_preprocessors"].default() if p is not Execute],
]
# ... and the feedback students get back carries nothing the grading kernel printed, raised or named: each
# exercise's outcome in the student's language, then the notebook as the student submitted it (their own
# outputs), with no line of a hidden test and no test traceback; its HTML sanitised (no script, handler, frame
# or external reference) by the course's rules. One self-contained file (corso/grading/feedback.py), whoever
# makes it: corso grade, or corso feedback after written answers were graded in the formgrader.
c.GenerateFeedback.preprocessors = [
    "corso.grading.feedback.FeedbackSummary",
    "corso.grading.feedback.HideTestTracebacks",
    "corso.grading.feedback.ScrubHiddenTests",
    *GenerateFeedback.class_traits()["preprocessors"].default(),
]
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {"clean_html": "corso.grading.feedback.clean_html"}
# The course's template is named like nbgrader's (nbgrader's API asks for "feedback"), found first here.
c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES)]
