"""Build the course from ``source/``, or check that what is committed is what the source produces.

For every lesson ``source/NN-slug/slug.ipynb``:

- ``release/{it,en}/NN-slug/``: nbgrader ``generate_assignment`` with the language filter (solutions
  replaced by the bilingual stub, hidden tests removed, outputs cleared);
- ``solutions/NN-slug/slug.ipynb``: the source with the solution and hidden-test markers removed,
  executed; it is executed again only when the source changed (the source's sha256 is kept in its metadata);
- ``notebooks/{it,en}/NN-slug.ipynb``: the solution of one language, outputs kept, for reading.

Everything is computed first and written only when all of it succeeded, one file at a time, atomically:
a failed or interrupted build leaves the previous generated files as they were. Files that did not change
are not touched, so a second build changes nothing.
"""

import contextlib
import copy
import io
import logging
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError
from nbgrader.converters import GenerateAssignment
from nbgrader.converters.base import NbGraderException
from nbgrader.coursedir import CourseDirectory

from corso.course import course_root, load_config
from corso.files import write_atomic
from corso.language import LANGUAGES, filter_language
from corso.lessons import HIDDEN_TEST_MARKERS, SOLUTION_MARKERS, find_lessons, read_source

GENERATED = ("release", "solutions", "notebooks")


class BuildError(Exception):
    """A lesson could not be built; the message names the notebook and, for execution, the cell."""


def build(root, check=False, log=print):
    """Rebuild the course under ``root`` (or, with ``check``, only compare). Return the stale files."""
    root = course_root(root)
    expected = {}
    with scratch_course(load_config(root)) as config:
        for lesson in find_lessons(root):
            expected.update(lesson_outputs(lesson, read_source(lesson), config, execute=not check, log=log))
    changed = [path for path, content in expected.items() if not _same(path, content)]
    extra = [path for path in generated_files(root) if path not in expected]
    if check:
        for path in changed:
            why = "missing" if not path.exists() else "differs from what source/ produces"
            log(f"stale: {path.relative_to(root)} ({why})")
        for path in extra:
            log(f"stale: {path.relative_to(root)} (no lesson in source/ produces it)")
        return changed + extra
    for path in changed:
        write_atomic(path, expected[path])
        log(f"wrote   {path.relative_to(root)}")
    for path in extra:
        path.unlink()
        log(f"removed {path.relative_to(root)}")
    log(f"{len(expected)} generated files, {len(changed)} written, {len(extra)} removed")
    return changed + extra


def lesson_outputs(lesson, source_nb, config, execute, log):
    """{path: bytes} of every file generated from one lesson."""
    outputs = {}
    for language in LANGUAGES:
        outputs.update(generate_release(lesson, language, config))
    solution = solve(lesson, source_nb, config, execute, log)
    outputs[lesson.solution] = serialize(solution)
    for language in LANGUAGES:
        outputs[lesson.reading_copy(language)] = serialize(reading_copy(solution, language))
    return outputs


@contextlib.contextmanager
def scratch_course(config):
    """A throwaway nbgrader course (its own folder and gradebook) to generate releases in."""
    with tempfile.TemporaryDirectory(prefix="corso-build-") as scratch:
        config = copy.deepcopy(config)
        config.CourseDirectory.root = scratch
        config.CourseDirectory.db_url = f"sqlite:///{Path(scratch, 'gradebook.db')}"
        yield config


def generate_release(lesson, language, scratch_config):
    """Run nbgrader's generate_assignment for one language in the scratch course; {path: bytes} of the release."""
    config = copy.deepcopy(scratch_config)
    config.CourseDirectory.release_directory = f"release/{language}"
    config.LanguageFilter.language = language
    scratch = Path(config.CourseDirectory.root)
    source = scratch / "source" / lesson.id
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(lesson.source.parent, source)
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = lesson.id
    converter = GenerateAssignment(coursedir=coursedir, config=config)
    converter.force = True
    with captured_log(converter.log) as messages:
        try:
            converter.start()
        except NbGraderException:
            raise BuildError(f"{lesson.source}: nbgrader could not generate the '{language}' release:\n"
                             + messages.getvalue()) from None
    released = scratch / "release" / language / lesson.id
    target = lesson.release(language).parent
    return {target / file.relative_to(released): file.read_bytes()
            for file in sorted(released.rglob("*")) if file.is_file()}


@contextlib.contextmanager
def captured_log(logger):
    """Collect what ``logger`` says at warning level and above, instead of printing it."""
    messages = io.StringIO()
    handler = logging.StreamHandler(messages)
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def solve(lesson, source_nb, config, execute, log):
    """The solved notebook: markers removed, executed, outputs kept (re-used when the source is unchanged)."""
    solved = copy.deepcopy(source_nb)
    for cell in solved.cells:
        cell.source = "\n".join(line for line in cell.source.split("\n")
                                if line.strip() not in SOLUTION_MARKERS + HIDDEN_TEST_MARKERS)
    solved.metadata["corso"] = {"source_sha256": lesson.source_sha256()}
    previous = _read_if_valid(lesson.solution)
    if previous is not None and _same_code(previous, solved) and \
            previous.metadata.get("corso") == solved.metadata["corso"]:
        return previous
    if not execute:
        return solved  # what a build would execute: differs from the committed one, so it is reported stale
    log(f"execute {lesson.source.relative_to(lesson.root)} ...")
    return execute_notebook(solved, lesson.source, timeout=config.Execute.timeout)


def execute_notebook(nb, path, timeout):
    """Execute ``nb`` (read from ``path``) in a fresh kernel, in ``path``'s folder; errors name the cell."""
    executed = copy.deepcopy(nb)
    running = {}
    client = NotebookClient(executed, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(Path(path).parent)}},
                            on_cell_execute=lambda cell, cell_index: running.update(cell=cell, index=cell_index))
    try:
        client.execute()
    except (CellExecutionError, DeadKernelError, TimeoutError) as error:
        where = f"{path}, cell {running.get('index', '?')} (id {running.get('cell', {}).get('id')!r})"
        if isinstance(error, DeadKernelError):
            raise BuildError(f"{where}: the kernel died while executing it") from None
        if isinstance(error, TimeoutError):
            raise BuildError(f"{where} ran past the {timeout} s limit") from None
        raise BuildError(f"{where} failed when executed:\n{error}") from None
    executed.metadata = nb.metadata  # drop what the kernel adds (its exact Python version)
    return executed


def reading_copy(solution, language):
    """The solution in one language, for reading: outputs kept, grading metadata dropped."""
    copy_ = filter_language(copy.deepcopy(solution), language)
    copy_.metadata.pop("corso", None)
    for cell in copy_.cells:
        cell.metadata.pop("nbgrader", None)
    return copy_


def serialize(nb):
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def generated_files(root):
    """Every file now in the generated folders (hidden files, such as Jupyter's checkpoints, aside)."""
    return sorted(path for folder in GENERATED for path in Path(root, folder).rglob("*")
                  if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts))


def _read_if_valid(path):
    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # missing or damaged: it is simply rebuilt
        return None


def _same_code(a, b):
    return [(c.cell_type, c.source) for c in a.cells] == [(c.cell_type, c.source) for c in b.cells]


def _same(path, content):
    return path.is_file() and path.read_bytes() == content
