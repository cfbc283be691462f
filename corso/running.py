"""Running a notebook through to its end, whatever its code does: what Validate, ``corso check`` and grading share.

``ExecuteSurvivingCrashes``: nbgrader's Execute, except that a kernel that dies (``os._exit()``, a crash, a
kill) or a cell that outlasts the time limit no longer stops the run: the cell gets an error output (after a
death, every later code cell too), so the tests that ran keep their result and those that could not run fail.
A cell past the time limit is interrupted and the next cell runs; a kernel still busy ``INTERRUPT_GRACE``
seconds after the interrupt is killed and counts as dead. Grading runs it in the sandbox
(``corso.grading.execute.GuardedExecute``); a student's check runs it as it is. This module ships with the
student edition.
"""

import itertools
import queue
import time

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute

TIMED_OUT_CELL = new_output(
    "error", ename="CellTimeoutError",
    evalue="la cella ha superato il tempo massimo ed è stata interrotta / "
           "the cell ran past the time limit and was stopped",
    traceback=["CellTimeoutError: tempo massimo superato / time limit exceeded"])
KERNEL_DIED_CELL = new_output(
    "error", ename="DeadKernelError",
    evalue="il kernel si è interrotto durante questa cella o prima / the kernel died in or before this cell",
    traceback=["DeadKernelError: il kernel si è interrotto / the kernel died"])


INTERRUPT_GRACE = 10  # seconds a timed-out cell has to stop after the interrupt, before its kernel is killed


class ExecuteSurvivingCrashes(Execute):
    """nbgrader's Execute that marks the cells it could not run when the kernel dies, instead of failing."""

    def preprocess(self, nb, resources=None, km=None):
        self._kernel_died = False
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if not self._kernel_died:
            try:
                cell = self.execute_cell(cell, index, store_history=self.kept_in_history(cell))
            except CellTimeoutError:  # nbclient gave up waiting: interrupt the cell and go on with the next, or,
                cell.outputs.append(TIMED_OUT_CELL)  # if it does not stop, kill the kernel, as if it had died
                self._kernel_died = not self._stopped_after_interrupt()
            except DeadKernelError:
                self._kernel_died = True
        if self._kernel_died:
            cell.outputs.append(KERNEL_DIED_CELL)
        cell.outputs = joined_streams(cell.outputs)
        return cell, resources

    def _stopped_after_interrupt(self):
        """Interrupt the kernel; whether it is idle again within ``INTERRUPT_GRACE`` seconds (else it is killed)."""
        run_sync(ensure_async)(self.km.interrupt_kernel())
        if self.reply_within(self.kc.kernel_info(), INTERRUPT_GRACE) is not None:
            return True
        run_sync(ensure_async)(self.km.shutdown_kernel(now=True))
        return False

    def reply_within(self, msg_id, seconds):
        """The kernel's reply to the request ``msg_id``, or None if none comes within ``seconds`` (nbclient's
        ``wait_for_reply`` waits as long as a cell may run)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                reply = run_sync(ensure_async)(self.kc.shell_channel.get_msg(timeout=left))
            except queue.Empty:
                return None
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return reply
        return None

    def kept_in_history(self, cell):
        """Whether the kernel keeps the cell in its input history (In, _ih): every cell, unless a subclass says."""
        return True


def joined_streams(outputs):
    """``outputs`` with each run of consecutive outputs of one stream joined into one output.

    What a cell prints reaches the grader in chunks that depend on timing: joined, a graded notebook and its
    feedback are the same wherever and however fast it ran. (nbclient's ``coalesce_streams`` does this by
    repeated concatenation, quadratic in the number of chunks: a submission that prints 100 MB would keep the
    grader busy for many minutes.)"""
    joined = []
    for (kind, name), run in itertools.groupby(outputs, key=lambda output: (output.output_type, output.get("name"))):
        run = list(run)
        if kind == "stream" and len(run) > 1:
            joined.append(new_output("stream", name=name, text="".join(
                output.text if isinstance(output.text, str) else "".join(output.text) for output in run)))
        else:
            joined.extend(run)
    return joined
