"""Grading on a Dask cluster: the same autograde of each submission, run by one of the cluster's workers.

``corso grade LESSON SUBMISSIONS --cluster tcp://HOST:PORT`` (or ``--cluster scheduler.json``, the file
``dask scheduler --scheduler-file`` writes) sends each submission to the cluster. What travels is data: to a
worker, the submission's files (its notebook and time stamp) and the grading settings; back, the result of
``workers.grade_submission`` (the graded notebook, the feedback page, the review lines). This process stays the
only writer of the gradebook, in student order, as without a cluster. Dask runs again elsewhere the tasks of
a worker that dies; each student's result is taken once.

A worker grades with the course its ``corso`` package belongs to (the checkout ``make install`` installed),
exactly as this machine does: its own grading processes, each kernel in the sandbox. Before any work, and
again before each task, a worker checks that it can: the same lesson source, ``nbgrader_config.py`` and
grading code as this machine (sha256), its data unpacked, the sandbox available, and a worker process that
may start processes (Dask's nanny starts daemonic workers unless ``DASK_DISTRIBUTED__WORKER__DAEMON=False``).
A worker that cannot stops the run with one line naming it and the reason; what was graded is kept.
"""

import multiprocessing
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path

import corso
from corso.grading import GradingError, verdict, workers
from corso.grading.record import fingerprint

SCHEDULER_WAIT = 60  # seconds to wait for a first worker to join the scheduler


class WorkerRefused(GradingError):
    """A worker cannot grade (no sandbox, another version of the course, ...); the message says which and why."""


def connect(address, lesson, settings):
    """A Dask client of the scheduler at ``address`` (or of a scheduler file) whose workers can all grade."""
    from distributed import Client
    if "://" not in address and not Path(address).is_file():
        raise GradingError(f"--cluster {address}: neither a scheduler address (tcp://HOST:PORT) nor a scheduler "
                           "file")
    try:
        client = Client(address) if "://" in address else Client(scheduler_file=address)
    except (OSError, TimeoutError) as error:
        raise GradingError(f"cannot reach the Dask scheduler at {address}: {error}") from None
    try:
        client.wait_for_workers(1, timeout=SCHEDULER_WAIT)
    except TimeoutError:
        client.close()
        raise GradingError(f"the Dask scheduler at {address} has no worker (waited {SCHEDULER_WAIT} s)") from None
    refusals = {worker: problem for worker, problem in client.run(
        worker_problem, lesson.id, fingerprint(lesson), settings["sandbox"]).items() if problem}
    if refusals:
        client.close()
        raise WorkerRefused("; ".join(f"worker {worker} cannot grade: {problem}"
                                      for worker, problem in sorted(refusals.items())))
    return client


class ClusterWorkers:
    """``workers.Workers`` for a Dask cluster: ``submit`` sends one submission to the cluster, ``stop`` cancels."""

    def __init__(self, client, lesson, settings, limit):
        self.client, self.lesson, self.settings, self.limit = client, lesson, settings, limit
        self.fingerprint = fingerprint(lesson)
        self.executor = client.get_executor(pure=False)

    def submit(self, student, submitted):
        """Send ``student``'s submission (the folder ``submitted``) to the cluster; a future of its result."""
        files = {str(path.relative_to(submitted)): path.read_bytes()
                 for path in sorted(Path(submitted).rglob("*")) if path.is_file()}
        task = self.executor.submit(grade_on_worker, self.lesson.id, self.fingerprint, self.settings, self.limit,
                                    student, files)
        result = Future()
        task.add_done_callback(lambda done: _settle(done, result))
        return result

    def stop(self):
        self.executor.shutdown(wait=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.client.close()


def _settle(task, result):
    """Pass a task's outcome on; a submission that kept killing the workers that ran it is not graded."""
    from distributed import KilledWorker
    if task.cancelled():
        result.cancel()
        result.set_running_or_notify_cancel()
    elif isinstance(task.exception(), KilledWorker):
        result.set_result({"error": "every Dask worker that graded it died (the cluster gave up on it)"})
    elif task.exception():
        result.set_exception(task.exception())
    else:
        result.set_result(task.result())


# ---------------------------------------------------------------- on a worker

_checked, _workers, _lock = {}, {}, threading.Lock()


def worker_problem(lesson_id, expected_fingerprint, sandbox):
    """Why this worker cannot grade the lesson as the instructor's machine would, or None. Its course and
    environment are compared before each task; the data and the sandbox, once (cached)."""
    from corso.course import CourseError, find_lesson
    try:
        lesson = find_lesson(course_checkout(), lesson_id)
    except CourseError as error:
        return str(error)
    if fingerprint(lesson) != expected_fingerprint:
        return (f"its course ({lesson.root}) differs from yours: another version of the lesson's source, "
                "nbgrader_config.py or corso, or other versions of Python or the grading packages (check out "
                "the same commit there and install it the same way)")
    with _lock:
        if sandbox not in _checked:
            _checked[sandbox] = _machine_problem(sandbox)
        return _checked[sandbox]


def _machine_problem(sandbox):
    from corso.data import DATA_DIR, DataError, prepare_mnist
    from corso.grading.sandbox import SandboxUnavailable, check_available
    if multiprocessing.current_process().daemon:
        return ("its worker process is daemonic and may not start the grading processes: start the worker with "
                "DASK_DISTRIBUTED__WORKER__DAEMON=False (or --no-nanny)")
    try:
        prepare_mnist(DATA_DIR)
        if sandbox:
            check_available(DATA_DIR)
    except SandboxUnavailable as error:
        return f"no sandbox for student code: {error}"
    except (DataError, OSError) as error:
        return str(error)
    return None


def course_checkout():
    """The course folder this worker's ``corso`` package belongs to (``make install`` installs it editable)."""
    return Path(corso.__file__).resolve().parent.parent


def grade_on_worker(lesson_id, expected_fingerprint, settings, limit, student, files):
    """A Dask task: grade one submission (``files``: its submitted folder) here; its result (see run.py)."""
    from distributed import get_worker
    worker = get_worker()
    problem = worker_problem(lesson_id, expected_fingerprint, settings["sandbox"])
    if problem:
        raise WorkerRefused(f"worker {worker.address} refused to grade {student}: {problem}")
    workers = _grading_processes(Path(worker.local_directory), lesson_id, settings, limit)
    with tempfile.TemporaryDirectory(dir=workers.template.parent) as submitted:
        for name, content in files.items():
            if Path(name).is_absolute() or ".." in Path(name).parts:
                raise WorkerRefused(f"worker {worker.address}: unexpected file name {name!r} for {student}")
            path = Path(submitted, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        return workers.grade(student, submitted)


def _grading_processes(local_directory, lesson_id, settings, limit):
    """This worker's ``workers.Workers`` for the lesson, with its template course made once."""
    from corso.course import GradingCourse, find_lesson
    key = (lesson_id, tuple(sorted(settings.items())), limit)
    with _lock:
        if key not in _workers:
            lesson = find_lesson(course_checkout(), lesson_id)
            folder = Path(tempfile.mkdtemp(prefix=f"corso-{lesson_id}-", dir=local_directory))
            template = GradingCourse(lesson.root, folder / "template", **settings)
            template.add_lesson(lesson)
            verdict.make_reference(template, lesson)
            # No zygotes: this runs in one of Dask's threads, and a zygote's sandbox dies with the thread that
            # started it (bubblewrap's --die-with-parent), which Dask may end while another thread grades.
            _workers[key] = workers.Workers(template.workdir, settings, lesson, limit, pooled=False)
        return _workers[key]
