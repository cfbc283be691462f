"""Where a grading run's time goes (``corso grade --profile``): each submission's wall time split into its
stages, and the run's CPU time by kind of process.

The stages of one submission: the private copy of the grading course, the kernel's start (a sandbox started,
or a fork of a warm zygote), the lesson's and the student's cells, the test cells, the guard's checks, the
observations and their comparison with the reference, the kernel's shutdown, what nbgrader's autograde does
around the execution (its set-up, the gradebook of the private course, the files), the feedback page, and, in
this process, the collection and screening of the submissions and the record into the gradebook. Each is
given as the median over the submissions and as the total.

CPU time: this process's and the grading processes' own (``getrusage``), the kernels' and the zygotes' (read
from ``/proc/PID/stat``, when kernels are forked from zygotes), and the whole machine's busy time over the run
(``/proc/stat``): what is left (kernels started in sandboxes of their own, bubblewrap, nbgrader's helpers,
anything else that ran on the machine meanwhile) is shown as such.
"""

import contextlib
import json
import os
import resource
import statistics
import time
from collections import defaultdict

from corso.files import write_atomic

CPU_KEYS = {"grading process CPU": "grading processes", "kernel CPU": "kernels (forked from the zygotes)"}


def machine_busy_seconds():
    """The CPU time the whole machine has spent busy since it started (/proc/stat, all CPUs)."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, stat.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Profile:
    """What one ``corso grade`` run measured; ``stage`` times this process's own stages."""

    def __init__(self):
        self.started, self.busy_at_start = time.perf_counter(), machine_busy_seconds()
        self.submissions = {}
        self.own = defaultdict(float)
        self.zygotes_cpu = 0.0
        self.unpooled = None  # why kernels were started in sandboxes of their own, when a zygote could not start

    def stage(self, name):
        return timed(self.own, name)

    def submission(self, student, seconds):
        self.submissions[student] = dict(seconds)

    def summary(self):
        """{"wall seconds", "submissions", "stages": {stage: {"median", "total"}}, "cpu seconds": {kind: s}}."""
        wall = time.perf_counter() - self.started
        stages = defaultdict(list)
        for seconds in self.submissions.values():
            for stage, value in seconds.items():
                stages[stage].append(value)
        count = len(self.submissions)
        for stage, value in self.own.items():  # this process's, timed as a whole: the mean in place of the median
            stages[stage] = [value / max(count, 1)] * max(count, 1)
        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu = {"this process (collect, record, reports)": used.ru_utime + used.ru_stime}
        for key, kind in CPU_KEYS.items():
            cpu[kind] = sum(seconds.get(key, 0.0) for seconds in self.submissions.values())
        cpu["zygotes (imports and warm-up, once each)"] = self.zygotes_cpu
        busy = machine_busy_seconds() - self.busy_at_start
        cpu["the rest of the machine's busy time"] = max(0.0, busy - sum(cpu.values()))
        cpu["the machine, busy"] = busy
        return {"wall seconds": round(wall, 2), "submissions": count, "cpus": os.cpu_count(), "unpooled": self.unpooled,
                "stages": {stage: {"median": round(statistics.median(values), 3), "total": round(sum(values), 2)}
                           for stage, values in stages.items() if stage not in CPU_KEYS},
                "cpu seconds": {kind: round(value, 2) for kind, value in cpu.items()}}

    def write(self, path):
        summary = self.summary()
        write_atomic(path, json.dumps(summary, indent=1) + "\n", mode=0o600)
        return summary


@contextlib.contextmanager
def timed(totals, name):
    """Add the seconds the ``with`` block takes to ``totals[name]``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        totals[name] = totals.get(name, 0.0) + time.perf_counter() - started


def table(summary):
    """The profile as text: the stages of a submission, then the CPU time by kind of process."""
    lines = [f"{summary['submissions']} submissions in {summary['wall seconds']:.1f} s on {summary['cpus']} CPUs",
             f"{'stage of one submission':<50} {'median s':>9} {'total s':>9}"]
    lines += [f"{stage:<50} {value['median']:>9.3f} {value['total']:>9.1f}"
              for stage, value in summary["stages"].items()]
    lines.append(f"{'CPU time':<50} {'s':>9}")
    lines += [f"{kind:<50} {value:>9.1f}" for kind, value in summary["cpu seconds"].items()]
    if summary["unpooled"]:
        lines.append(f"kernels started in sandboxes of their own: no zygote here ({summary['unpooled']})")
    return "\n".join(lines)
