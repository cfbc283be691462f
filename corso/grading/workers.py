"""Workers: one submission at a time per job, each graded by nbgrader in a process of its own, its kernel
forked from the job's warm zygote (``sandbox.Zygote``) or started in a sandbox of its own; the results come back
as data (``grade_submission``), in student order (``run_in_order``)."""

import contextlib
import multiprocessing
import os
import queue
import re
import resource
import shutil
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat

from corso.grading import sandbox


def grade_submission(course, lesson, student):
    """Autograde ``student``'s submission and make its feedback in ``course`` (a private grading course).

    Returns {"graded": the autograded notebook (JSON text), "feedback": the page (HTML), "review": [...]}
    or {"error": a one-line reason}."""
    try:
        started = time.perf_counter()
        course.autograde(lesson, student)
        graded_at = time.perf_counter()
        course.feedback(lesson, student)
        finished = time.perf_counter()
    except Exception as error:  # any failure is reported for this submission alone
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        exceptions = [line for line in lines if re.match(r"[\w.]+(Error|Exception): ", line)]
        return {"error": (exceptions or lines or [type(error).__name__])[-1][:200]}
    graded = course.workdir / "autograded" / student / lesson.id / f"{lesson.slug}.ipynb"
    feedback = course.workdir / "feedback" / student / lesson.id / f"{lesson.slug}.html"
    text = graded.read_text()
    corso = nbformat.reads(text, as_version=4).metadata.get("corso", {})
    seconds = corso.get("seconds", {})
    seconds["nbgrader's autograde around the execution"] = graded_at - started - seconds["execution, in all"]
    seconds["feedback page"] = finished - graded_at
    return {"graded": text, "feedback": feedback.read_text(), "review": corso.get("review", []), "seconds": seconds}


class Workers:
    """The grading processes of this machine: ``jobs`` at once, one a submission, each in a process group of
    its own with its sandboxed kernel, forked from a server that has imported the grading code once (a fresh
    Python costs seconds). A process that runs past ``limit`` seconds is stopped with everything it started;
    its result comes back on a pipe. Each grades in a private copy of ``template`` (a grading course with the
    lesson) with the GradingCourse ``settings``. Sandboxed and ``pooled``, each job has a zygote of its own
    (``sandbox.Zygote``) that forks the kernel of each submission it grades; a zygote that cannot start leaves
    its job to start kernels in sandboxes of their own, and ``unpooled`` says why.

    Like every forkserver child, each also imports the program's main module: ``corso``'s is light."""

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["corso.grading.workers", "corso.grading.execute", "corso.course"])

    def __init__(self, template, settings, lesson, limit, jobs=1, pooled=True):
        self.template, self.settings, self.lesson, self.limit = Path(template), settings, lesson, limit
        self.running, self.stopping, self.lock = set(), False, threading.Lock()
        jobs = max(1, jobs)
        self.pool = ThreadPoolExecutor(max_workers=jobs)
        self.zygotes = queue.SimpleQueue()  # one a job: each forks the kernels of the submissions it is given
        self.unpooled = None  # why kernels are not forked from a zygote, if they are not
        self.zygotes_cpu = 0.0  # the CPU time of the zygotes closed so far
        for slot in range(jobs):
            self.zygotes.put(sandbox.Zygote(self._data_dir(), slot=slot) if pooled and settings["sandbox"] else None)

    def submit(self, student, submitted):
        """Start grading ``student``'s submission (the folder ``submitted``); a future of its result."""
        return self.pool.submit(self.grade, student, submitted)

    def grade(self, student, submitted):
        """Grade one submission in a private copy of the template; return its result (see grade_submission)."""
        started = time.perf_counter()
        private = self.template.parent / "students" / student
        shutil.rmtree(private, ignore_errors=True)
        shutil.copytree(self.template, private)
        shutil.copytree(submitted, private / "submitted" / student)
        copied = time.perf_counter() - started
        receiving, sending = self.context.Pipe(duplex=False)
        zygote = self._take_zygote()
        process = self.context.Process(target=_worker, args=(sending, str(private), self.settings, self.lesson.root,
                                                               self.lesson.id, student, zygote and zygote.control))
        with self.lock:  # started and registered together: stop() stops it, or it never starts
            if not self.stopping:
                process.start()
                self.running.add(process)
        sending.close()
        try:
            result = self._result(process, receiving) if process.pid else {"error": "grading was stopped"}
        finally:
            if process.pid is not None:
                self.kill(process)  # its kernel's lifeline closes with it: the zygote kills the kernel
            self.running.discard(process)
            self.zygotes.put(zygote)
        if "seconds" in result:
            result["seconds"]["private copy of the course"] = copied
            result["seconds"]["grading process, in all"] = time.perf_counter() - started
        self._keep_log(private, student, result)
        shutil.rmtree(private, ignore_errors=True)
        return result

    def _result(self, process, receiving):
        """What the grading process sent, or why it sent nothing."""
        if not receiving.poll(self.limit):
            return {"error": f"the grading process ran past {self.limit} s and was stopped"}
        try:
            return receiving.recv()
        except EOFError:
            process.join()
            return {"error": f"the grading process exited with {process.exitcode}"}

    def _keep_log(self, private, student, result):
        """A submission not graded: its grading log goes to ``logs/`` of the grading folder, named in the error."""
        if "error" not in result or not Path(private, "log.txt").is_file():
            return
        log = self.template.parent.parent / "logs" / self.lesson.id / f"{student}.txt"
        log.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.replace(Path(private, "log.txt"), log)
        result["error"] += f" (grading log: {log})"

    @contextlib.contextmanager
    def lent_zygote(self):
        """The control socket of a warm zygote for this process's own use (the reference run), or -1."""
        zygote = self._take_zygote()
        try:
            yield zygote.control.fileno() if zygote else -1
        finally:
            self.zygotes.put(zygote)

    def _take_zygote(self):
        """A free zygote, warm; None when kernels are started for each submission (no sandbox, or a zygote that
        could not start: then this slot starts them, and ``unpooled`` says why)."""
        zygote = self.zygotes.get()
        if zygote is None or zygote.ready():
            return zygote
        self.unpooled = zygote.why
        zygote.close()
        return None

    def _data_dir(self):
        from corso.course import load_config
        from corso.data import DATA_DIR
        return load_config(self.lesson.root).GuardedExecute.get("data_dir") or DATA_DIR

    @staticmethod
    def kill(process):
        """Stop a grading process and everything it started (its sandbox dies with it)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.join()

    def stop(self):
        """Ctrl-C or an error: nothing more starts, and what runs is stopped."""
        with self.lock:
            self.stopping = True
            running = list(self.running)
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in running:
            self.kill(process)

    def close_zygotes(self):
        """After the last grading: the zygotes go (those lent out come back when their grading ends)."""
        while not self.zygotes.empty():
            if zygote := self.zygotes.get():
                self.zygotes_cpu += zygote.cpu_seconds()
                zygote.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.pool.shutdown()
        self.close_zygotes()


def _worker(sending, private, course_settings, root, lesson_id, student, zygote=None):
    """The grading process of one submission: its output goes to ``log.txt``, its result to the pipe; its
    kernel is forked by ``zygote`` (a Zygote's control socket) when there is one."""
    os.setsid()  # a process group of its own: stopping it stops the sandbox too
    _die_with_parent()  # the forkserver, which ends with the program (or the cluster worker) that started it
    log = os.open(Path(private, "log.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    from corso.course import GradingCourse
    from corso.lessons import Lesson
    course = GradingCourse(root, private, **course_settings)
    if zygote is not None:
        course.config.GuardedExecute.zygote_fd = zygote.fileno()
    result = grade_submission(course, Lesson(Path(root), lesson_id), student)
    if "seconds" in result:
        used = resource.getrusage(resource.RUSAGE_SELF)
        result["seconds"]["grading process CPU"] = used.ru_utime + used.ru_stime
    sending.send(result)
    sending.close()


def _die_with_parent():
    """Linux: SIGKILL this process when its parent ends (prctl PR_SET_PDEATHSIG)."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def run_in_order(keys, submit, finish, progress, abort):
    """Start ``submit(key)`` (a future) for every key; call ``finish(key, result)`` in key order.

    On an interruption (Ctrl-C) or an error, ``abort()`` stops the work under way; what was finished stays.
    """
    results, next_index = {}, 0
    bar = progress(total=len(keys)) if progress and keys else None
    futures = {}
    try:
        for key in keys:
            futures[submit(key)] = key
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            while next_index < len(keys) and keys[next_index] in results:
                finish(keys[next_index], results.pop(keys[next_index]))
                next_index += 1
                if bar:
                    bar.update(1)
    except BaseException:
        abort()
        raise
    finally:
        if bar:
            bar.close()
