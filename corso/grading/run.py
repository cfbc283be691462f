"""Autograde one submission: nbgrader's autograde with the notebook executed in the sandbox, results as data.

``GuardedExecute`` is the Execute step of ``nbgrader autograde`` (plugged in through ``nbgrader_config.py``):
it asks for the sandboxed kernel (``sandbox.py``) and runs every graded test cell as grading sends it
(``corso.lessons.grading_source``: no expected value in it). After the cell it takes the cell's observations
from the kernel as plain data and compares them, here, with the reference solution's (``verdict.py``). A test
cell scores only when

- its observations match the reference's (the comparison: nothing the kernel says about itself gives a point),
- and nbgrader's own verdict gives it the points (the kernel's reply says it ran without error: nbgrader scores
  a test cell with an error output 0), and the guard (``guard.py``), asked with a fresh nonce just before and
  just after the cell, reported nothing changed and no reach for the kernel's internals. These two can only
  take points away.

Otherwise the cell gets an error output with the grader's message (so nbgrader scores it 0). Each graded cell's
verdict (status and message, the grader's words) goes into the notebook's metadata (``corso.verdicts``), which
the feedback reads; everything the submission carried under that key is dropped first. Graded cells are run
without entering the kernel's input history. ``grade_submission`` runs nbgrader's autograde and feedback for
one student in a private copy of the grading course and returns the graded notebook, the feedback page and the
problems as data; ``Workers`` runs it in processes of their own.
"""

import ast
import builtins
import contextlib
import multiprocessing
import os
import queue
import re
import resource
import secrets
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat
from nbformat.v4 import new_output
from traitlets import Bool, Int, Unicode

from corso.grading import sandbox, verdict
from corso.grading.outcomes import (
    FAILED,
    KERNEL_DIED,
    NOT_ANSWERED,
    PASSED,
    REVIEW,
    TIMED_OUT,
    exercises,
    first_error,
)
from corso.integrity import KERNEL_DIED as KERNEL_DIED_OUTPUT
from corso.integrity import TIMED_OUT as TIMED_OUT_OUTPUT
from corso.integrity import ExecuteSurvivingCrashes, lesson_source
from corso.lessons import grading_source

GUARD_TIMEOUT = 10  # seconds to wait for the guard's report


class GuardedExecute(ExecuteSurvivingCrashes):
    """nbgrader's Execute in the sandbox, every graded test cell judged here (see the module docstring)."""

    data_dir = Unicode("", help="the course's data folder, read-only in the sandbox (default: corso's)").tag(
        config=True)
    sandboxed = Bool(True, help="run the kernel in the sandbox, watched by the guard (False: --no-sandbox)").tag(
        config=True)
    zygote_fd = Int(-1, help="a sandbox.Zygote's control socket: the kernel is forked there (-1: started for "
                             "this notebook)").tag(config=True)
    making_reference = False  # True for the reference run: its observations are recorded, not judged

    def preprocess(self, nb, resources=None, km=None):
        from corso.data import DATA_DIR
        if self.sandboxed:
            self.kernel_name = sandbox.KERNEL_NAME
            self.kernel_manager_class = sandbox.kernel_manager(self.data_dir or DATA_DIR, zygote_fd=self.zygote_fd)
        source = nbformat.read(lesson_source(self.config, resources), as_version=4)
        self.bindings = module_bindings(source)
        self.reference = None if self.making_reference else self._reference(resources)
        self.unanswered = set() if self.making_reference else unanswered(nb, source, self._release(resources))
        self.shutdown_kernel = "immediate"  # its sandbox goes with it: nothing to wait for
        self.review, self.observations, self.verdicts = [], {}, {}
        self.seconds = dict.fromkeys(STAGES, 0.0)
        nb.metadata.pop("corso", None)  # only this step writes there
        with self._timed("execution, in all"):
            nb, resources = super().preprocess(nb, resources, km)
        nb.metadata["corso"] = {"review": self.review, "verdicts": self.verdicts,
                                "seconds": {stage: round(value, 4) for stage, value in self.seconds.items()}}
        return nb, resources

    @contextlib.contextmanager
    def _timed(self, stage):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - started

    # nbconvert's ExecutePreprocessor runs these three (nbclient's synchronous forms) around the cells
    def start_new_kernel(self, **kwargs):
        with self._timed("kernel start"):
            return super().start_new_kernel(**kwargs)

    def start_new_kernel_client(self):
        with self._timed("kernel start"):
            return super().start_new_kernel_client()

    def _cleanup_kernel(self):
        process = getattr(self.km and self.km.provisioner, "process", None)
        if isinstance(process, sandbox.PooledKernel):
            self.seconds["kernel CPU"] = process.cpu_seconds()
        with self._timed("kernel shutdown"):
            return super()._cleanup_kernel()

    def kept_in_history(self, cell):
        return not _graded_test(cell)

    async def _async_handle_timeout(self, timeout, cell=None):
        self._timed_out = True  # nbclient's own knowledge: not the error the kernel then reports
        return await super()._async_handle_timeout(timeout, cell)

    def preprocess_cell(self, cell, resources, index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        self._timed_out = False
        if not _graded_test(cell):
            with self._timed("answer and lesson cells"):
                cell, resources = super().preprocess_cell(cell, resources, index)
            if grade_id in self.unanswered:
                self.verdicts[grade_id] = {"status": NOT_ANSWERED, "message": ""}
            elif grade_id and cell.cell_type == "code":
                self._note_stopped(cell, grade_id)
            return cell, resources
        if self._kernel_died:
            cell, resources = super().preprocess_cell(cell, resources, index)
            return self._decide(cell, resources, KERNEL_DIED, KERNEL_DIED_OUTPUT.evalue)
        names = builtin_names(cell.source)
        before = self._check(names) if self.sandboxed else []
        self._observed()  # whatever the answer cells reported is not this test's
        source = cell.source
        try:
            cell.source = grading_source(source)
        except SyntaxError:  # the gradebook's test cell always parses; keep nbgrader's verdict on it
            pass
        try:
            with self._timed("test cells"):
                cell, resources = super().preprocess_cell(cell, resources, index)
        finally:
            cell.source = source
        if self._kernel_died:
            return self._decide(cell, resources, KERNEL_DIED, KERNEL_DIED_OUTPUT.evalue)
        if self._timed_out or any(output is TIMED_OUT_OUTPUT for output in cell.outputs):
            return self._decide(cell, resources, TIMED_OUT, TIMED_OUT_OUTPUT.evalue)
        observed = self._observed()
        changes = before + self._check(names) + self._guard_events() if self.sandboxed else []
        if changes:
            what = "; ".join(dict.fromkeys(changes))
            self.review.append(f"REVIEW {grade_id}: scores 0, the kernel was changed before or during its test: "
                               f"{what[:300]}")
            return self._decide(cell, resources, REVIEW, REVIEW_MESSAGE)
        if self.making_reference:
            self.observations[grade_id] = observed
            error = first_error(cell)
            if error is not None or not observed:
                why = f"{error.ename}: {error.evalue}" if error is not None else "no observation"
                return self._decide(cell, resources, FAILED, why)
            return self._decide(cell, resources, PASSED, "")
        with self._timed("observations and comparisons"):
            difference = verdict.judge(self.reference.get(grade_id), observed)
        if difference is not None and (label := verdict.not_plain(self.reference.get(grade_id), observed)):
            self.review.append(f"{grade_id}: scores 0, {label} is not plain data (a subclass, a proxy or another "
                               "object in place of the tensor, number or list the test expects)")
        if difference is None and first_error(cell) is not None:
            difference = ("il test ha sollevato un errore dopo le sue verifiche / "
                          "the test raised an error after its checks")
        return self._decide(cell, resources, PASSED if difference is None else FAILED, difference or "")

    def _note_stopped(self, cell, grade_id):
        """An answer cell stopped at the time limit, or where the kernel died: its exercise's status."""
        if self._timed_out or any(found is TIMED_OUT_OUTPUT for found in cell.outputs):
            self.verdicts[grade_id] = {"status": TIMED_OUT, "message": TIMED_OUT_OUTPUT.evalue}
        elif any(found is KERNEL_DIED_OUTPUT for found in cell.outputs):
            self.verdicts[grade_id] = {"status": KERNEL_DIED, "message": KERNEL_DIED_OUTPUT.evalue}

    def _decide(self, cell, resources, status, message):
        """Record a graded cell's verdict; a cell that did not pass gets the grader's error output, first, so
        that nbgrader scores it 0."""
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        if status != PASSED and grade_id in self.unanswered and status != REVIEW:
            status, message = NOT_ANSWERED, ""
        self.verdicts[grade_id] = {"status": status, "message": message}
        if status != PASSED:
            # first: nbgrader scores a test cell by its first error or execute_result output, and the kernel
            # could have sent an execute_result claiming partial credit (before it died, too)
            cell.outputs.insert(0, new_output("error", ename="Verdict", evalue=message or status,
                                              traceback=[f"Verdict: {message or status}"]))
        return cell, resources

    def _observed(self):
        """The observations the kernel reports (see verdict.DRAIN), or None when it reports none readable."""
        with self._timed("observations and comparisons"):
            return self._drain()

    def _drain(self):
        try:
            reply = self.wait_for_reply(self.kc.execute("", silent=True, store_history=False, allow_stdin=False,
                                                        user_expressions={"observed": verdict.DRAIN}))
            value = reply["content"]["user_expressions"]["observed"]["data"]["text/plain"]
            return verdict.read_observations(ast.literal_eval(value))
        except Exception:  # a dead, stuck or lying kernel: nothing readable
            return None

    def _check(self, names):
        """Ask the guard, with a fresh nonce, what changed; return the changes (or why there is no answer)."""
        with self._timed("guard checks"):
            return self._ask_guard(names)

    def _ask_guard(self, names):
        nonce = secrets.token_hex(16)
        code = f"__import__('sys').audit('corso.check', {nonce!r}, {tuple(self.bindings)!r}, {tuple(names)!r})"
        try:
            self.wait_for_reply(self.kc.execute(code, silent=True, store_history=False, allow_stdin=False))
        except Exception:  # a dead or stuck kernel: the cell's own execution reports it
            return ["the kernel did not answer the guard's check"]
        deadline = time.monotonic() + GUARD_TIMEOUT
        while time.monotonic() < deadline:
            for kind, *fields in self._signed_reports():
                if kind == "check" and fields[0] == nonce:
                    return list(fields[1:])
            time.sleep(0.005)
        return ["the guard did not answer (its check was intercepted)"]

    def _guard_events(self):
        """What the guard reported on its own since the kernel started, and any sign of a forged channel."""
        events = [fields[0] for kind, *fields in self._signed_reports() if kind in ("event", "error")]
        provisioner = self.km.provisioner
        if provisioner.channel_closed:
            events.append("the guard's channel was closed")
        forged = [line for line in provisioner.reports if verify(line, provisioner.key) is None]
        if forged:
            events.append(f"{len(forged)} forged message(s) on the guard's channel")
        return events

    def _signed_reports(self):
        provisioner = self.km.provisioner
        return [report for line in list(provisioner.reports) if (report := verify(line, provisioner.key))]

    def _reference(self, resources):
        info = resources["nbgrader"]
        from nbgrader.coursedir import CourseDirectory
        observations = verdict.read_reference(CourseDirectory(config=self.config).root, info["assignment"])
        if observations is None:
            raise verdict.ReferenceError(f"no reference observations for {info['assignment']} in the grading course")
        return observations

    def _release(self, resources):
        from nbgrader.coursedir import CourseDirectory
        coursedir = CourseDirectory(config=self.config)
        info = resources["nbgrader"]
        path = Path(coursedir.format_path(coursedir.release_directory, ".", info["assignment"]),
                    f"{info['notebook']}.ipynb")
        return nbformat.read(path, as_version=4)

# The stages of a submission's execution timed in ``corso.seconds`` (see corso.grading.profile).
STAGES = ("kernel start", "answer and lesson cells", "test cells", "guard checks", "observations and comparisons",
          "kernel shutdown", "execution, in all")

REVIEW_MESSAGE = ("il kernel è stato modificato prima o durante questo test: 0 punti, da rivedere / "
                  "the kernel was changed before or during this test: 0 points, to be reviewed")


def verify(line, key):
    """The fields of a guard report if ``line`` carries the key's signature, else None."""
    from _blake2 import blake2b
    try:
        signature, payload = line.rstrip(b"\n").split(b" ", 1)
        if not secrets.compare_digest(signature, blake2b(payload, key=key, digest_size=16).hexdigest().encode()):
            return None
        return ast.literal_eval(payload.decode())
    except (ValueError, SyntaxError, UnicodeDecodeError):
        return None


def _graded_test(cell):
    return cell.cell_type == "code" and bool(cell.metadata.get("nbgrader", {}).get("grade"))


def unanswered(nb, source_nb, release_nb):
    """The grade ids of the exercises whose answer cell is the release's, untouched, or missing: the answer
    cell's and its graded test cells'."""
    def answers(notebook):
        found = {}
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id and cell.metadata["nbgrader"].get("solution"):
                found.setdefault(grade_id, cell.source.strip())
        return found
    given, stubs = answers(nb), answers(release_nb)
    return {grade_id for answer, _title, tests in exercises(source_nb, "en")
            if given.get(answer, stubs.get(answer)) == stubs.get(answer) for grade_id in (answer, *tests)}


def builtin_names(source):
    """The builtins a test cell's code uses by name (a student name that hides one changes the test)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return sorted({node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and hasattr(builtins, node.id)})


def module_bindings(nb):
    """(name, module) for each ``import`` of the lesson's setup cell (its first code cell), from the source."""
    setup = next(cell for cell in nb.cells if cell.cell_type == "code" and "import " in cell.source)
    bindings = []
    for node in ast.parse(setup.source).body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                bindings.append((alias.asname or alias.name.split(".")[0],
                                 alias.name if alias.asname else alias.name.split(".")[0]))
    return bindings


# ---------------------------------------------------------------- one submission, in a process of its own


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
    lesson) with the GradingCourse ``settings``.

    Like every forkserver child, each also imports the program's main module: ``corso``'s is light."""

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["corso.grading.run", "corso.course"])

    def __init__(self, template, settings, lesson, limit, jobs=1):
        self.template, self.settings, self.lesson, self.limit = Path(template), settings, lesson, limit
        self.running = set()
        jobs = max(1, jobs)
        self.pool = ThreadPoolExecutor(max_workers=jobs)
        self.zygotes = queue.SimpleQueue()  # one a job: each forks the kernels of the submissions it is given
        self.unpooled = None  # why kernels are not forked from a zygote, if they are not
        self.zygotes_cpu = 0.0  # the CPU time of the zygotes closed so far
        for slot in range(jobs):
            self.zygotes.put(sandbox.Zygote(self._data_dir(), slot=slot) if settings.get("sandbox", True) else None)

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
        process.start()
        sending.close()
        self.running.add(process)
        try:
            result = receiving.recv() if receiving.poll(self.limit) else None
            if result is None and process.is_alive():
                return {"error": f"the grading process ran past {self.limit} s and was stopped"}
            if result and "seconds" in result:
                result["seconds"]["private copy of the course"] = copied
                result["seconds"]["grading process, in all"] = time.perf_counter() - started
            return result or {"error": f"the grading process exited with {process.exitcode}"}
        except EOFError:
            return {"error": f"the grading process exited with {process.exitcode}"}
        finally:
            self.kill(process)  # its kernel's lifeline closes with it: the zygote kills the kernel
            self.running.discard(process)
            self.zygotes.put(zygote)
            shutil.rmtree(private, ignore_errors=True)

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
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in list(self.running):
            self.kill(process)
        self.close_zygotes()

    def close_zygotes(self):
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
