"""The ONLY code that starts student code: a grading kernel inside bubblewrap, behind a kernel provisioner.

jupyter_client starts kernels through kernel provisioners (its extension point for where and how a kernel
runs). ``SandboxProvisioner`` (entry point ``corso-sandbox``) is its local provisioner with the command
wrapped: the kernel runs under ``bwrap`` with

- the system (``/usr``, ``/etc``), Python's prefix, the environment and the ``corso`` package read-only, the
  course's data read-only, and nothing else of the machine: not the course, not the grading folder, not
  ``$HOME``; ``/tmp`` and the working folder on a size-limited tmpfs;
- no network (a network namespace of its own: not even the host's loopback), its own PID, IPC and UTS
  namespaces, a new session, and ``--die-with-parent``: when the grading process goes, the PID namespace
  goes, and with it every process the submission started;
- limits (``prlimit``): address space, processes, file size, CPU time; as root, it also runs as an unprivileged
  user of its own (``setpriv``) with no capabilities and ``no_new_privs``;
- the kernel's sockets in a folder of their own (jupyter_client's ``ipc`` transport), closed to new files
  once the kernel is up; and the guard (``guard.py``) in place of ipykernel's launcher, with a one-time key
  and a pipe on which it reports to the trusted side (see ``guard.py``).

``run.py`` asks for the kernel by name (``KERNEL_NAME``) through ``SandboxKernelManager``; the limits come
from ``Limits``.
"""

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Dict, Unicode

KERNEL_NAME = "corso-sandbox"
GUARD = Path(__file__).resolve().with_name("guard.py")


class SandboxUnavailable(Exception):
    """No sandbox can start here; the message says why in one line."""


@dataclass(frozen=True)
class Limits:
    """What one submission's kernel may use."""

    memory_bytes: int = 8 << 30  # address space: torch alone maps ~3 GiB
    processes: int = 64  # processes and threads of the sandbox user
    file_bytes: int = 64 << 20  # the largest file it may write
    disk_bytes: int = 256 << 20  # its writable space (tmpfs)
    cpu_seconds: int = 3600


def read_only_paths(data_dir):
    """What the kernel sees, read-only: the system, Python, the environment, corso, the data."""
    import corso
    paths = {Path(p) for p in ("/usr", "/etc", sys.base_prefix, sys.prefix)}
    paths |= {Path(corso.__file__).resolve().parent, Path(data_dir).resolve()}
    for link in ("/bin", "/lib", "/lib64", "/sbin"):  # merged-/usr systems: links into /usr
        if Path(link).is_dir() and not Path(link).is_symlink():
            paths.add(Path(link))
    return sorted(path for path in paths if path.exists())


def bwrap_command(kernel_cmd, folder, data_dir, limits, uid=None):
    """The command that runs ``kernel_cmd`` in the sandbox, with ``folder`` (its sockets) bound read-write."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    command = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
               "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev",
               "--unsetenv", "JPY_PARENT_PID"]  # ipykernel watches that PID, which the PID namespace hides
    if uid is None:
        command.append("--unshare-user")
    command += ["--size", str(limits.disk_bytes), "--perms", "1777", "--tmpfs", "/tmp"]  # before what lies in it
    bound = {Path("/tmp")}
    for path in [*read_only_paths(data_dir), Path(folder)]:
        for parent in reversed(path.parents):
            if parent != Path("/") and parent not in bound:
                command += ["--perms", "0755", "--dir", str(parent)]
                bound.add(parent)
        if path == Path(folder):
            command += ["--bind", str(path), str(path)]
        else:
            command += ["--ro-bind", str(path), str(path)]
        bound.add(path)
    for link in ("bin", "lib", "lib64", "sbin"):
        if Path("/", link).is_symlink():
            command += ["--symlink", os.readlink(Path("/", link)), f"/{link}"]
    command += ["--chdir", "/tmp", "--"]
    command += ["prlimit", f"--as={limits.memory_bytes}", f"--nproc={limits.processes}",
                f"--fsize={limits.file_bytes}", f"--cpu={limits.cpu_seconds}", "--core=0", "--"]
    if uid is not None:
        command += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                    "--bounding-set=-all", "--no-new-privs", "--"]
    return command + list(kernel_cmd)


def kernel_environment(data_dir):
    """The kernel's whole environment: nothing of the grader's (no JPY_PARENT_PID: it has no parent there)."""
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp",
            "LANG": "C.UTF-8", "MPLBACKEND": "module://matplotlib_inline.backend_inline", "MPLCONFIGDIR": "/tmp",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
            "CORSO_DATA_DIR": str(Path(data_dir).resolve()), "PYTHONDONTWRITEBYTECODE": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


# The grading's Unix sockets live under the temporary folder: the kernel's (TMPDIR/corso-kernel-XXXXXXXX/
# kernel-N) and, the longest, the forkserver's (TMPDIR/pymp-XXXXXXXX/listener-XXXXXXXX); a socket's path holds
# 107 bytes.
LONGEST_TMPDIR = 107 - len("/pymp-XXXXXXXX/listener-XXXXXXXX")


def check_available(data_dir, limits=Limits()):
    """Raise SandboxUnavailable (one line) unless a sandboxed Python starts and sees no network here."""
    scratch = tempfile.gettempdir()
    if len(scratch.encode()) > LONGEST_TMPDIR:
        raise SandboxUnavailable(f"the temporary folder {scratch} is too long for the kernel's sockets (at most "
                                 f"{LONGEST_TMPDIR} bytes): set TMPDIR to a shorter one, such as /tmp")
    with tempfile.TemporaryDirectory(prefix="corso-sandbox-check-") as folder, socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))  # the grader's own loopback: the sandbox must not reach it
        listening.listen()
        probe = (f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {listening.getsockname()[1]}), 2)"
                 "\nexcept OSError:\n    print('isolated')")
        try:
            done = subprocess.run(bwrap_command([sys.executable, "-c", probe], folder, data_dir, limits,
                                                _sandbox_uid()), capture_output=True, text=True, timeout=60,
                                  env=kernel_environment(data_dir))
        except (OSError, subprocess.TimeoutExpired) as error:
            raise SandboxUnavailable(f"bubblewrap could not start ({error})") from None
        if done.stdout.strip() != "isolated":
            said = (done.stderr.strip() or done.stdout.strip() or f"exit {done.returncode}").splitlines()[-1]
            raise SandboxUnavailable(f"bubblewrap could not start an isolated Python: {said}")


def _sandbox_uid():
    """As root, an unprivileged user of its own for each grading process (its process count is its own)."""
    return 60000 + os.getpid() % 5000 if os.geteuid() == 0 else None


class SandboxProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, with the kernel wrapped in the sandbox (see the module docstring).

    Its ``reports`` list receives the guard's lines as they arrive; ``channel_closed`` tells whether the
    guard's pipe closed before the kernel was shut down (student code closed it)."""

    data_dir = Unicode(help="the course's data folder, bound read-only").tag(config=True)
    limits = Dict(help="the fields of Limits").tag(config=True)
    folder = None
    reports = None
    channel_closed = False

    async def pre_launch(self, **kwargs):
        km = self.parent
        self.folder = Path(tempfile.mkdtemp(prefix="corso-kernel-"))
        self.key = secrets.token_bytes(32)
        km.transport = "ipc"
        km.ip = str(self.folder / "kernel")
        km.connection_file = str(self.folder / "connection.json")
        kwargs = await super().pre_launch(**kwargs)
        limits = Limits(**self.limits)
        self.uid = _sandbox_uid()
        if self.uid is not None:
            os.chown(self.folder, self.uid, self.uid)
            os.chown(km.connection_file, self.uid, self.uid)
        self.report_read, self.report_write = os.pipe()
        key_read, self.key_write = os.pipe()
        os.write(self.key_write, self.key)
        os.close(self.key_write)
        self.key_read = key_read
        launcher = kwargs["cmd"]  # python -m ipykernel_launcher -f CONNECTION [extra arguments]
        # -P: the guard's folder stays off sys.path (corso.grading.inspect would hide the standard inspect)
        command = [sys.executable, "-P", str(GUARD), str(self.report_write), str(key_read), *launcher[3:]]
        kwargs["cmd"] = bwrap_command(command, self.folder, self.data_dir, limits, self.uid)
        kwargs["env"] = kernel_environment(self.data_dir)
        kwargs["cwd"] = str(self.folder)
        return kwargs

    async def launch_kernel(self, cmd, **kwargs):
        kwargs["pass_fds"] = (self.report_write, self.key_read)
        connection_info = await super().launch_kernel(cmd, **kwargs)
        os.close(self.report_write)
        os.close(self.key_read)
        self.reports = []
        threading.Thread(target=self._read_reports, daemon=True).start()
        return connection_info

    def _read_reports(self):
        with os.fdopen(self.report_read, "rb") as pipe:
            for line in pipe:
                self.reports.append(line)
        self.channel_closed = True

    def seal(self):
        """Once the kernel is up: no new file in its socket folder (it could fill the grader's disk)."""
        if self.uid is not None:
            os.chown(self.folder, 0, 0)
            os.chmod(self.folder, 0o711)

    async def cleanup(self, restart=False):
        await super().cleanup(restart)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


class SandboxKernelSpecs(KernelSpecManager):
    """The grading kernel's spec, made here rather than found on disk; every other name is refused."""

    data_dir = None
    limits = None

    def get_kernel_spec(self, kernel_name):
        if kernel_name != KERNEL_NAME:
            raise SandboxUnavailable(f"grading runs only the sandboxed kernel, not {kernel_name!r}")
        provisioner = {"provisioner_name": KERNEL_NAME,
                       "config": {"data_dir": str(self.data_dir), "limits": asdict(self.limits)}}
        # interrupt_mode "message": a timed-out cell is interrupted by the kernel itself (a signal to the
        # process the grader started would reach bubblewrap, which dies, and the kernel with it)
        return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                          display_name="Python 3 (sandboxed grading)", language="python", interrupt_mode="message",
                          metadata={"kernel_provisioner": provisioner})


def kernel_manager(data_dir, limits=Limits()):
    """A KernelManager class whose kernels are sandboxed (nbclient makes one per notebook it executes)."""
    specs = SandboxKernelSpecs()
    specs.data_dir, specs.limits = data_dir, limits

    class SandboxKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(kernel_spec_manager=specs, **kwargs)

    return SandboxKernelManager
