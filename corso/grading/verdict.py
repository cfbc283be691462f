"""Verdict: a graded test's observations, from the student's kernel as plain data, against the reference's.

A graded test cell reaches the student's kernel as ``corso.checks.grading_source`` makes it: no expected value
is computed there. What the cell's ``check`` calls observed comes back as JSON (``drain``), is read here as
plain data only, and is compared, in this process, with what the same cell observed when it ran on the lesson's
reference solution (``make_reference``: the lesson's source, in a sandboxed kernel of its own, once per version
of the lesson, cached by hash). The kernel can only lose points: a test passes when every reference
observation is matched, in order, and nothing more was reported. The messages are this module's words and the
reference's labels; nothing the student's kernel wrote is shown (its strings are hidden, see
``corso.checks.compare``).
"""

import hashlib
import json
from pathlib import Path

import nbformat

import corso.checks
from corso.checks import compare, message, split_label, well_formed
from corso.files import write_atomic
from corso.grading import GradingError

# What the grader asks the kernel for after a graded test cell (a user expression: its value comes back as data).
DRAIN = "__import__('corso.checks', fromlist=['drain']).drain()"
MAX_OBSERVATIONS_BYTES = 64 << 20


def read_observations(text):
    """The list of observations a kernel reported (JSON text), or None when it is not that."""
    if not isinstance(text, str) or len(text) > MAX_OBSERVATIONS_BYTES:
        return None
    try:
        observations = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(observations, list) or not all(
            isinstance(item, dict) and isinstance(item.get("found"), dict) for item in observations):
        return None
    return observations


def judge(reference, observed):
    """None when ``observed`` (a kernel's report, or None) matches ``reference`` (the reference run's), else
    the first difference as a bilingual message."""
    if reference is None:
        return ("questo test non ha osservazioni di riferimento: il test non può passare / "
                "this test has no reference observations: the test cannot pass")
    if observed is None:
        return ("le osservazioni del test non sono leggibili: il test non può passare / "
                "the test's observations cannot be read: the test cannot pass")
    for number, wanted in enumerate(reference):
        if number >= len(observed):
            it, en = split_label(wanted["label"])
            return (f"{it}: il test si è fermato prima di questa verifica (un errore, o nessun risultato) / "
                    f"{en}: the test stopped before this check (an error, or no result)")
        found = observed[number]["found"]
        if not well_formed(found):
            difference = ("osservazione illeggibile", "unreadable observation")
        else:
            difference = compare(found, wanted["found"], wanted["rtol"], wanted["atol"], hide_text=True)
        if difference is not None:
            return message(wanted["label"], difference)
    if len(observed) > len(reference):
        return ("il test ha ricevuto più osservazioni di quante ne faccia: il test non può passare / "
                "the test received more observations than it makes: the test cannot pass")
    return None


def not_plain(reference, observed):
    """The label of the first observation where the kernel reported an object of no plain type (a subclass, a
    proxy, any other object) in place of the reference's plain data, or None."""
    for wanted, found in zip(reference or [], observed or [], strict=False):
        kind = found.get("found", {}).get("kind") if isinstance(found, dict) else None
        if kind == "other" and wanted["found"]["kind"] != "other":
            return split_label(wanted["label"])[1]
    return None


# ---------------------------------------------------------------- the reference run, once per lesson version


def reference_path(course_root, lesson_id):
    """Where a grading course keeps the reference observations of a lesson."""
    return Path(course_root, "reference", f"{lesson_id}.json")


def reference_key(lesson):
    """What the reference observations depend on: the lesson's source and the observing code."""
    observing = Path(corso.checks.__file__).read_bytes()
    return hashlib.sha256(lesson.source_sha256().encode() + hashlib.sha256(observing).digest()).hexdigest()


def make_reference(course, lesson):
    """Make sure ``course`` (a GradingCourse with the lesson) holds the lesson's reference observations:
    {test grade id: [observation, ...]}, from the lesson's source run in a kernel like a student's (sandboxed
    unless the course grades without a sandbox), each test cell as grading sends it. Cached by
    ``reference_key``; returns the seconds the run took (0 when cached)."""
    import time

    from corso.grading.execute import GuardedExecute
    path = reference_path(course.workdir, lesson.id)
    key = reference_key(lesson)
    if path.is_file() and json.loads(path.read_text()).get("key") == key:
        return 0.0
    started = time.monotonic()
    nb = nbformat.read(course.workdir / "source" / lesson.id / f"{lesson.slug}.ipynb", as_version=4)
    executor = GuardedExecute(config=course.config)
    executor.making_reference = True
    resources = {"nbgrader": {"assignment": lesson.id, "notebook": lesson.slug, "student": "reference"},
                 "metadata": {"path": str(course.workdir)}}
    executor.preprocess(nb, resources)
    failures = {grade_id: verdict for grade_id, verdict in executor.verdicts.items() if verdict["status"] != "passed"}
    if failures or not executor.observations:
        raise ReferenceError(f"{lesson.source}: the reference solution does not pass its own tests when graded: "
                             f"{json.dumps(failures, ensure_ascii=False)[:300]}")
    write_atomic(path, json.dumps({"key": key, "observations": executor.observations}), mode=0o600)
    return time.monotonic() - started


class ReferenceError(GradingError):
    """The lesson's reference solution could not be observed; the message says why."""


def read_reference(course_root, lesson_id):
    """{test grade id: [observation, ...]} of a grading course, or None when it has none."""
    path = reference_path(course_root, lesson_id)
    return json.loads(path.read_text())["observations"] if path.is_file() else None
