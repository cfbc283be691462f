"""Where the tests find the course: the project's root folder and the tests' fixtures."""

import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def sandbox_processes(wait=5):
    """The processes running as one of the sandboxes' users (60000-64999: corso.grading.sandbox._sandbox_uid)
    that this test process started (its descendants) or that escaped (orphans, whose parent is init), as "PID
    name" lines, still there ``wait`` seconds from now at the latest (a killed process takes a moment to go).
    Those of tests running at the same time in other processes are not this test's."""
    deadline = time.monotonic() + wait
    while (found := _sandbox_processes()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def _sandbox_processes():
    table = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:  # gone meanwhile
            continue
        table[int(status.parent.name)] = (int(fields["PPid"]), int(fields["Uid"].split()[0]), fields["Name"])

    def started_here(pid):
        while pid > 1:
            if pid == os.getpid():
                return True
            pid = table.get(pid, (0,))[0]
        return False
    return [f"{pid} {name}" for pid, (parent, uid, name) in table.items()
            if 60000 <= uid < 65000 and (parent == 1 or started_here(pid))]
