"""A Dask cluster on this machine, started with Dask's own commands as on a real cluster: a scheduler on
127.0.0.1 and workers, each a process (with its nanny) in a session and a working folder of its own."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from test_cli import marked_processes

# What `make install` gives a worker, plus the setting the README asks for (grading processes are its children).
WORKER_ENV = {"DASK_DISTRIBUTED__WORKER__DAEMON": "False"}


class Cluster:
    """A Dask scheduler on 127.0.0.1 and the workers added to it; everything is killed at the end."""

    def __init__(self, folder):
        self.folder, self.workers = folder, {}
        folder.mkdir()
        scheduler_file = folder / "scheduler.json"
        self.scheduler = self._start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                      "--scheduler-file", str(scheduler_file)], os.environ)
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and self.scheduler.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(scheduler_file.read_text())["address"]

    def _start(self, arguments, env):
        """Start ``dask SCHEDULER-OR-WORKER ...`` in a session of its own, its log in the cluster's folder."""
        with open(self.folder / f"{arguments[0]}-{len(self.workers)}.log", "w") as log:
            return subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_" + arguments[0], *arguments[1:]],
                                    env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def add_worker(self, name, env=WORKER_ENV, path=os.environ["PATH"]):
        """Start a worker (with its nanny) in a working folder of its own; wait until it has joined.

        Its temporary folder is a short one of its own in /tmp (Unix sockets are made there), so that its
        sandboxes, whose folders are made there, can be told apart from other tests' by their command line."""
        local = self.folder / name
        local.mkdir()
        scratch = Path(tempfile.mkdtemp(prefix="corso-worker-", dir="/tmp"))
        mark = f"corso-test-{uuid.uuid4().hex}"
        environment = {**os.environ, "PATH": path, "CORSO_TEST_MARK": mark, "TMPDIR": str(scratch), **env}
        process = self._start(["worker", self.address, "--name", name, "--nthreads", "1", "--no-dashboard",
                               "--local-directory", str(local)], environment)
        self.workers[name] = (process, mark, scratch)
        with self.client() as client:
            client.wait_for_workers(len(self.workers), timeout=60)
        return local

    def client(self):
        from distributed import Client
        return Client(self.address)

    @staticmethod
    def address_of(client, name):
        return next(address for address, worker in client.scheduler_info()["workers"].items()
                    if worker["name"] == name)

    def kill_worker(self, name):
        """SIGKILL a worker, its nanny and all they started in their process group, as a lost machine."""
        os.killpg(self.workers[name][0].pid, signal.SIGKILL)

    def left_running(self, name):
        _, mark, scratch = self.workers[name]
        return marked_processes(mark, scratch)

    def close(self):
        for process in [self.scheduler, *(process for process, _, _ in self.workers.values())]:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        for _, _, scratch in self.workers.values():
            shutil.rmtree(scratch, ignore_errors=True)
