"""Record: the results of a submission, as data from its grading process, into the gradebook.

This process is the gradebook's single writer: submissions are graded in parallel, each in a private copy of
the course, and their results are written here one at a time, in student order, so the gradebook ends as a
sequential run leaves it. The graded notebook comes from the grading process's pipe (the kernel could reach
neither it nor the process), is written into this process's own folder with the submission's time
(``timestamp.txt``, so nbgrader knows a late one), and nbgrader's SaveAutoGrades and AssignLatePenalties read
it. A run that stops resumes: a submission graded before is not graded again while its notebook and its time,
the lesson's deadline and source, the grading code, ``nbgrader_config.py``, the environment and the grading
settings are the same.
"""

import hashlib
import json
import os
import sys
from pathlib import Path

import nbformat

import corso
from corso.exercises import KERNEL_DIED, NOT_ANSWERED, TIMED_OUT, first_error
from corso.files import write_atomic
from corso.grading.outcomes import verdicts


class Resume:
    """What earlier runs recorded: {student: {"key": ..., "problems": [...]}} in ``graded-<lesson>.json``. A key
    holds the submission, the grading settings and the ``fingerprint`` of the lesson, its grading code and
    environment: a result survives only while all of them are the same."""

    def __init__(self, course, lesson, settings):
        self.path = course.workdir / f"graded-{lesson.id}.json"
        self.state = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.settings = json.dumps({"grading": fingerprint(lesson), **settings}, sort_keys=True)

    def key(self, notebook, handed_in):
        """The key of a submission: the settings, the notebook's bytes and when it was handed in."""
        return hashlib.sha256(f"{self.settings}\0{handed_in}".encode() +
                              hashlib.sha256(notebook.read_bytes()).digest()).hexdigest()

    def done(self, student, key):
        """The problems recorded when ``student`` was graded with this ``key``, or None."""
        entry = self.state.get(student, {})
        return entry["problems"] if entry.get("key") == key else None

    def save(self, student, key, problems):
        self.state[student] = {"key": key, "problems": problems}
        write_atomic(self.path, json.dumps(self.state, indent=1, sort_keys=True), mode=0o600)


def fingerprint(lesson):
    """sha256 of what makes a grade: the lesson's source folder, ``nbgrader_config.py``, the grading code, and
    the environment (``environment``)."""
    package = Path(corso.__file__).parent
    files = [*((lesson.root, path) for path in _visible_files(lesson.source.parent)),
             (lesson.root, lesson.root / "nbgrader_config.py"),
             *((package.parent, path) for path in _visible_files(package) if path.suffix == ".py")]
    digest = hashlib.sha256(environment().encode())
    for base, path in files:
        digest.update(f"{path.relative_to(base)}\0{path.stat().st_size}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def _visible_files(folder):
    """The files under ``folder``, in order, but for hidden ones and caches (.ipynb_checkpoints, __pycache__)."""
    return sorted(path for path in folder.rglob("*") if path.is_file() and not any(
        part.startswith((".", "__pycache__")) for part in path.relative_to(folder).parts))


# The distributions whose versions can change a grade or a feedback page.
GRADING_PACKAGES = ("nbgrader", "nbconvert", "nbclient", "nbformat", "jupyter_client", "ipykernel", "ipython",
                    "torch", "torchvision", "numpy", "matplotlib", "bleach")


def environment():
    """The Python and the versions of ``GRADING_PACKAGES``, as one line."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return "none"
    return " ".join([sys.version.split()[0], *(f"{name}={installed(name)}" for name in GRADING_PACKAGES)])


def record(course, lesson, student, result):
    """Write one submission's result into the gradebook and its feedback page; return its problem lines."""
    if "error" in result:
        return [f"not graded: {result['error']}"]
    graded = nbformat.reads(result["graded"], as_version=4)
    records = course.workdir / ".work" / "records"
    write_atomic(records / student / lesson.id / f"{lesson.slug}.ipynb", result["graded"], mode=0o600)
    course.record(lesson, student, records)
    write_atomic(course.workdir / "feedback" / student / lesson.id / f"{lesson.slug}.html", result["feedback"],
                 mode=0o600)
    os.unlink(records / student / lesson.id / f"{lesson.slug}.ipynb")
    return list(execution_problems(graded)) + list(result["review"])


def execution_problems(graded_nb):
    """What went wrong while the submission ran, beyond the tests' verdicts (which the scores show): from the
    grader's verdicts, and the errors of the cells that are not graded (but a stub's NotImplementedError in a
    "try it" cell: the exercise's own line says it is not answered)."""
    judged = verdicts(graded_nb)
    for index, cell in enumerate(graded_nb.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        where = f"cell {index} (id {cell.get('id')!r})"
        status = judged.get(grade_id, {}).get("status") if grade_id else None
        if status == KERNEL_DIED:
            yield f"the kernel died in or before {where}: the cells after it did not run"
            return
        if status == TIMED_OUT:
            yield f"{where} ran past the time limit and was stopped"
        elif status == NOT_ANSWERED:
            if cell.metadata["nbgrader"].get("grade"):
                yield f"{grade_id}: not answered"
        elif status is None and (error := first_error(cell)) is not None and error.ename != "NotImplementedError":
            yield f"{where} raised {error.ename}: {str(error.evalue)[:80]}"


# ---------------------------------------------------------------- nbgrader courses
