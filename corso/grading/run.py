"""Autograde one submission: nbgrader's autograde with the notebook executed in the sandbox, results as data.

``GuardedExecute`` is the Execute step of ``nbgrader autograde`` (plugged in through ``nbgrader_config.py``):
it asks for the sandboxed kernel (``sandbox.py``) and brackets every graded test cell with two checks by the
kernel's guard (``guard.py``). A test cell scores only when

- the kernel's reply to that very cell says it ran without error (the verdict: nbgrader's Execute turns an
  error reply into an error output, and nbgrader scores a test cell 0 when it has one), and
- the guard, asked with a fresh nonce just before and just after the cell, answered with a signed report
  that nothing the test or the kernel's execution relies on changed, and it reported no reach for the
  kernel's internals since the kernel started.

Otherwise the cell gets an error output ("REVIEW ...", so nbgrader scores it 0) and the problem is named.
Graded cells are run without entering the kernel's input history. ``grade_submission`` runs nbgrader's
autograde and feedback for one student in a private copy of the grading course and returns the graded
notebook, the feedback page and the problems as data; ``Workers`` runs it in processes of their own.
"""

import ast
import builtins
import contextlib
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat
from nbformat.v4 import new_output
from traitlets import Unicode

from corso.grading import sandbox
from corso.integrity import ExecuteSurvivingCrashes, lesson_source

GUARD_TIMEOUT = 10  # seconds to wait for the guard's report


class GuardedExecute(ExecuteSurvivingCrashes):
    """nbgrader's Execute in the sandbox, every graded test cell checked by the guard (see the module docstring)."""

    data_dir = Unicode("", help="the course's data folder, read-only in the sandbox (default: corso's)").tag(
        config=True)

    def preprocess(self, nb, resources=None, km=None):
        from corso.data import DATA_DIR
        self.kernel_name = sandbox.KERNEL_NAME
        self.kernel_manager_class = sandbox.kernel_manager(self.data_dir or DATA_DIR)
        self.bindings = module_bindings(lesson_source(self.config, resources))
        self.review = []
        nb, resources = super().preprocess(nb, resources, km)
        nb.metadata.setdefault("corso", {})["review"] = self.review
        return nb, resources

    def kept_in_history(self, cell):
        return not _graded_test(cell)

    def preprocess_cell(self, cell, resources, index):
        if not _graded_test(cell) or self._kernel_died:
            return super().preprocess_cell(cell, resources, index)
        self.km.provisioner.seal()
        names = builtin_names(cell.source)
        before = self._check(names)
        cell, resources = super().preprocess_cell(cell, resources, index)
        if self._kernel_died:
            return cell, resources
        changes = before + self._check(names) + self._guard_events()
        if changes:
            grade_id = cell.metadata["nbgrader"]["grade_id"]
            what = "; ".join(dict.fromkeys(changes))
            self.review.append(f"REVIEW {grade_id}: scores 0, the kernel was changed before or during its test: "
                               f"{what[:300]}")
            cell.outputs.append(new_output("error", ename="Review", evalue=REVIEW_MESSAGE,
                                           traceback=[f"Review: {REVIEW_MESSAGE}"]))
        return cell, resources

    def _check(self, names):
        """Ask the guard, with a fresh nonce, what changed; return the changes (or why there is no answer)."""
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


def builtin_names(source):
    """The builtins a test cell's code uses by name (a student name that hides one changes the test)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return sorted({node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and hasattr(builtins, node.id)})


def module_bindings(source_notebook):
    """(name, module) for each ``import`` of the lesson's setup cell (its first code cell), from the source."""
    nb = nbformat.read(source_notebook, as_version=4)
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
        course.autograde(lesson, student)
        course.feedback(lesson, student)
    except Exception as error:  # any failure is reported for this submission alone
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        exceptions = [line for line in lines if re.match(r"[\w.]+(Error|Exception): ", line)]
        return {"error": (exceptions or lines or [type(error).__name__])[-1][:200]}
    graded = course.workdir / "autograded" / student / lesson.id / f"{lesson.slug}.ipynb"
    feedback = course.workdir / "feedback" / student / lesson.id / f"{lesson.slug}.html"
    text = graded.read_text()
    return {"graded": text, "feedback": feedback.read_text(),
            "review": nbformat.reads(text, as_version=4).metadata.get("corso", {}).get("review", [])}


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
        self.pool = ThreadPoolExecutor(max_workers=max(1, jobs))

    def submit(self, student, submitted):
        """Start grading ``student``'s submission (the folder ``submitted``); a future of its result."""
        return self.pool.submit(self.grade, student, submitted)

    def grade(self, student, submitted):
        """Grade one submission in a private copy of the template; return its result (see grade_submission)."""
        private = self.template.parent / "students" / student
        shutil.rmtree(private, ignore_errors=True)
        shutil.copytree(self.template, private)
        shutil.copytree(submitted, private / "submitted" / student)
        receiving, sending = self.context.Pipe(duplex=False)
        process = self.context.Process(target=_worker, args=(sending, str(private), self.settings,
                                                               self.lesson.root, self.lesson.id, student))
        process.start()
        sending.close()
        self.running.add(process)
        try:
            result = receiving.recv() if receiving.poll(self.limit) else None
            if result is None and process.is_alive():
                return {"error": f"the grading process ran past {self.limit} s and was stopped"}
            return result or {"error": f"the grading process exited with {process.exitcode}"}
        except EOFError:
            return {"error": f"the grading process exited with {process.exitcode}"}
        finally:
            self.kill(process)
            self.running.discard(process)
            shutil.rmtree(private, ignore_errors=True)

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

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.pool.shutdown()


def _worker(sending, private, course_settings, root, lesson_id, student):
    """The grading process of one submission: its output goes to ``log.txt``, its result to the pipe."""
    os.setsid()  # a process group of its own: stopping it stops the sandbox too
    _die_with_parent()  # the forkserver, which ends with the program (or the cluster worker) that started it
    log = os.open(Path(private, "log.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    from corso.course import GradingCourse
    from corso.lessons import Lesson
    course = GradingCourse(root, private, **course_settings)
    sending.send(grade_submission(course, Lesson(Path(root), lesson_id), student))
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
