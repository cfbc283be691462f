"""The ONLY code that starts student code: a grading kernel inside bubblewrap, behind a kernel provisioner.

jupyter_client starts kernels through kernel provisioners (its extension point for where and how a kernel
runs). ``SandboxProvisioner`` (entry point ``corso-sandbox``) is its local provisioner with the command
wrapped: the kernel runs under ``bwrap`` with

- the system (``/usr``, ``/etc``), Python's prefix, the environment and the ``corso`` package read-only, the
  course's data read-only, and nothing else of the machine: not the course, not the grading folder, not
  ``$HOME``. Nothing of the host is writable: it writes only in two tmpfs of its own, ``/tmp`` (limited in
  size and in files) and the kernel's socket folder (``SOCKETS``); the rest of its root and ``/dev`` are
  read-only, and its output goes to a pipe of which the grader keeps the tail;
- no network (a network namespace of its own: not even the host's loopback), its own PID, IPC and UTS
  namespaces, a new session, and ``--die-with-parent``: when the grading process goes, the PID namespace
  goes, and with it every process the submission started;
- limits (``prlimit``): address space, processes, file size, CPU time; as root, it also runs as an unprivileged
  user of its own (``setpriv``) with no capabilities and ``no_new_privs``;
- the kernel's sockets (jupyter_client's ``ipc`` transport) in ``SOCKETS``, which the grader reaches through
  ``/proc/PID/root`` of the sandbox's first process and remounts read-only once the kernel has bound them,
  before any student code runs; and the guard (``guard.py``) in place of ipykernel's launcher, with a
  one-time key and a pipe on which it reports to the trusted side (see ``guard.py``).

``run.py`` asks for the kernel by name (``KERNEL_NAME``) through ``SandboxKernelManager``; the limits come
from ``Limits``.
"""

import asyncio
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Dict, Int, Unicode

KERNEL_NAME = "corso-sandbox"
GUARD = Path(__file__).resolve().with_name("guard.py")
# In the sandbox: the kernel's connection file and sockets, on a tmpfs of their own. The grader connects to
# /proc/PID/root/run/corso-kernel/kernel-N: at most 45 bytes, within a Unix socket path's 107.
SOCKETS = Path("/run/corso-kernel")
SOCKETS_BYTES = 64 << 10
PORTS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
STARTUP_SECONDS = 120  # the kernel binds its sockets after importing torch: seconds, more on a busy machine
OUTPUT_TAIL = 64 << 10  # the bytes of the kernel's own output kept, to say why it did not start


class SandboxUnavailable(Exception):
    """No sandbox can start here; the message says why in one line."""


@dataclass(frozen=True)
class Limits:
    """What one submission's kernel may use."""

    memory_bytes: int = 8 << 30  # address space: torch alone maps ~3 GiB
    processes: int = 64  # processes and threads of the sandbox user
    file_bytes: int = 64 << 20  # the largest file it may write
    disk_bytes: int = 256 << 20  # its writable space (tmpfs)
    files: int = 1 << 16  # files and folders in its writable space
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


def bwrap_command(kernel_cmd, data_dir, limits, uid=None, connection_fd=None, info_fd=None, as_pid_1=False):
    """The command that runs ``kernel_cmd`` in the sandbox.

    ``connection_fd``: a descriptor to read the kernel's connection file from (into ``SOCKETS``);
    ``info_fd``: where bubblewrap writes, as JSON, the PID of the sandbox's first process (``child-pid``);
    ``as_pid_1``: the command is the init of the sandbox's PID namespace (it reaps its orphans)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    command = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
               "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev",
               "--unsetenv", "JPY_PARENT_PID"]  # ipykernel watches that PID, which the PID namespace hides
    if uid is None:
        command.append("--unshare-user")
    if as_pid_1:
        command.append("--as-pid-1")
    if info_fd is not None:
        command += ["--info-fd", str(info_fd)]
    command += ["--size", str(limits.disk_bytes), "--perms", "1777", "--tmpfs", "/tmp"]  # before what lies in it
    made = {Path("/tmp")}
    for path in read_only_paths(data_dir):
        command += _parent_folders(path, made) + ["--ro-bind", str(path), str(path)]
        made.add(path)
    command += _parent_folders(SOCKETS, made) + ["--size", str(SOCKETS_BYTES), "--perms", "1777", "--tmpfs",
                                                 str(SOCKETS)]
    if connection_fd is not None:
        command += ["--perms", "0444", "--file", str(connection_fd), str(SOCKETS / "connection.json")]
    for link in ("bin", "lib", "lib64", "sbin"):
        if Path("/", link).is_symlink():
            command += ["--symlink", os.readlink(Path("/", link)), f"/{link}"]
    command += ["--remount-ro", "/", "--remount-ro", "/dev", "--chdir", "/tmp", "--"]
    command += ["prlimit", f"--as={limits.memory_bytes}", f"--nproc={limits.processes}",
                f"--fsize={limits.file_bytes}", f"--cpu={limits.cpu_seconds}", "--core=0", "--"]
    if uid is not None:
        command += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                    "--bounding-set=-all", "--no-new-privs", "--"]
    return command + list(kernel_cmd)


def _parent_folders(path, made):
    """bwrap's arguments making the folders above ``path`` not yet in ``made`` (which they are added to)."""
    arguments = []
    for parent in reversed(path.parents):
        if parent != Path("/") and parent not in made:
            arguments += ["--perms", "0755", "--dir", str(parent)]
            made.add(parent)
    return arguments


def kernel_environment(data_dir):
    """The kernel's whole environment: nothing of the grader's (no JPY_PARENT_PID: it has no parent there)."""
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp",
            "LANG": "C.UTF-8", "MPLBACKEND": "module://matplotlib_inline.backend_inline", "MPLCONFIGDIR": "/tmp",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
            "CORSO_DATA_DIR": str(Path(data_dir).resolve()), "PYTHONDONTWRITEBYTECODE": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def sandbox_pid(info_fd):
    """The PID (here) of the sandbox's first process, read from bwrap's ``--info-fd`` (then closed)."""
    with os.fdopen(info_fd, "rb") as info:
        text = info.read()  # bwrap closes its end once written, or when it fails
    try:
        return json.loads(text)["child-pid"]
    except (ValueError, KeyError):
        raise SandboxUnavailable("bubblewrap did not start the sandbox") from None


def wait_for_sockets(paths, process, timeout=STARTUP_SECONDS):
    """Wait until every one of ``paths`` is a socket: False if ``process`` ended or ``timeout`` passed first."""
    deadline = time.monotonic() + timeout
    while not all(path.is_socket() for path in paths):
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# Run by the grader in a process of its own (entering namespaces needs a single thread): enter the user
# namespace that owns the sandbox's mounts (NS_GET_USERNS; without root, bwrap's outer one) unless it is this
# process's, then the sandbox's mount namespace; remount the socket folder read-only and limit the files of
# /tmp (bwrap cannot). Arguments: PID, socket folder, files.
SEAL = """
import ctypes, fcntl, os, sys
pid, sockets, files = sys.argv[1:]
libc = ctypes.CDLL(None, use_errno=True)
def check(result, what):
    if result != 0:
        raise OSError(ctypes.get_errno(), f"{what}: {os.strerror(ctypes.get_errno())}")
mounts = os.open(f"/proc/{pid}/ns/mnt", os.O_RDONLY)
owner = fcntl.ioctl(mounts, 0xb701)
if os.fstat(owner).st_ino != os.stat("/proc/self/ns/user").st_ino:
    check(libc.setns(owner, 0x10000000), "entering its user namespace")
check(libc.setns(mounts, 0x20000), "entering its mount namespace")
REMOUNT, RDONLY, NOSUID, NODEV, NOEXEC = 32, 1, 2, 4, 8
check(libc.mount(b"none", sockets.encode(), None, REMOUNT | RDONLY | NOSUID | NODEV | NOEXEC, None),
      f"remounting {sockets} read-only")
if not os.statvfs(sockets).f_flag & os.ST_RDONLY:
    sys.exit(f"{sockets} is still writable")
check(libc.mount(b"none", b"/tmp", None, REMOUNT | NOSUID | NODEV, f"nr_inodes={files}".encode()),
      "limiting the files of /tmp")
"""


def seal_sandbox(pid, limits):
    """Make the sandbox of ``pid`` final before student code runs: its socket folder read-only, the files of
    its /tmp limited; SandboxUnavailable if it could not."""
    done = subprocess.run([sys.executable, "-I", "-S", "-c", SEAL, str(pid), str(SOCKETS), str(limits.files)],
                          capture_output=True, text=True, timeout=60)
    if done.returncode:
        said = (done.stderr.strip() or f"exit {done.returncode}").splitlines()[-1]
        raise SandboxUnavailable(f"the kernel's socket folder could not be sealed: {said}")


# The grading's Unix sockets on the host live under the temporary folder, the longest being the forkserver's
# (TMPDIR/pymp-XXXXXXXX/listener-XXXXXXXX); a socket's path holds 107 bytes.
LONGEST_TMPDIR = 107 - len("/pymp-XXXXXXXX/listener-XXXXXXXX")

# The check's stand-in for a kernel: it binds a socket in SOCKETS, waits for the seal, tries the grader's port.
PROBE = """
import os, socket, time
listening = socket.socket(socket.AF_UNIX)
listening.bind({probe!r})
deadline = time.monotonic() + 60
while not os.statvfs({sockets!r}).f_flag & os.ST_RDONLY and time.monotonic() < deadline:
    time.sleep(0.01)
try:
    socket.create_connection(('127.0.0.1', {port}), 2)
except OSError:
    print('isolated')
"""


def check_available(data_dir, limits=Limits()):
    """Raise SandboxUnavailable (one line) unless a sandboxed Python starts, is sealed and sees no network."""
    scratch = tempfile.gettempdir()
    if len(scratch.encode()) > LONGEST_TMPDIR:
        raise SandboxUnavailable(f"the temporary folder {scratch} is too long for the grading's sockets (at "
                                 f"most {LONGEST_TMPDIR} bytes): set TMPDIR to a shorter one, such as /tmp")
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))  # the grader's own loopback: the sandbox must not reach it
        listening.listen()
        probe = PROBE.format(probe=str(SOCKETS / "probe"), sockets=str(SOCKETS), port=listening.getsockname()[1])
        info_read, info_write = os.pipe()
        try:
            process = subprocess.Popen(
                bwrap_command([sys.executable, "-c", probe], data_dir, limits, _sandbox_uid(), info_fd=info_write),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=kernel_environment(data_dir),
                pass_fds=(info_write,))
        except OSError as error:
            os.close(info_read)
            raise SandboxUnavailable(f"bubblewrap could not start ({error})") from None
        finally:
            os.close(info_write)
        with process:
            try:
                _seal_probe(process, info_read, limits)
                out, err = process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                raise SandboxUnavailable("the sandboxed Python did not finish in 60 s") from None
            finally:
                process.kill()
    if out.strip() != "isolated":
        said = (err.strip() or out.strip() or f"exit {process.returncode}").splitlines()[-1]
        raise SandboxUnavailable(f"bubblewrap could not start an isolated Python: {said}")


def _seal_probe(process, info_read, limits):
    """Seal the probe's sandbox once its socket is bound, as ``launch_kernel`` does the kernel's."""
    try:
        pid = sandbox_pid(info_read)
    except SandboxUnavailable:
        said = (process.stderr.read().strip() or f"exit {process.wait()}").splitlines()[-1]
        raise SandboxUnavailable(f"bubblewrap could not start: {said}") from None
    if wait_for_sockets([Path(f"/proc/{pid}/root{SOCKETS}/probe")], process, timeout=60):
        seal_sandbox(pid, limits)


def _sandbox_uid(slot=0):
    """As root, an unprivileged user of its own for each grading process or zygote (its process count is its
    own)."""
    return 60000 + (os.getpid() + slot) % 5000 if os.geteuid() == 0 else None


class Zygote:
    """A sandbox that has imported and warmed up what the lessons use once, and forks the kernels of one grading
    slot from there, one at a time, each in a sandbox of its own made inside this one (see ``guard.py``): a
    kernel costs a fork instead of a Python that imports torch. Nothing of a kernel outlives it; the zygote
    runs no student code."""

    def __init__(self, data_dir, limits=Limits(), slot=0):
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        command = [sys.executable, "-P", str(GUARD), "--zygote", str(theirs.fileno())]
        self.uid = _sandbox_uid(slot + 1)
        self.process = subprocess.Popen(bwrap_command(command, data_dir, limits, self.uid, as_pid_1=True),
                                        pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, bufsize=0,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,  # read a line at a time
                                        env=kernel_environment(data_dir), cwd="/")
        theirs.close()
        self.warm, self.why = None, ""

    def ready(self):
        """Whether it forks kernels (waiting for its warm-up, at most ``STARTUP_SECONDS``, the first time); if
        not, ``why`` says why."""
        if self.warm is None:
            said, line, deadline = [], None, time.monotonic() + STARTUP_SECONDS
            while line != b"ready\n" and select.select([self.process.stdout], [], [],
                                                        max(0, deadline - time.monotonic()))[0]:
                if not (line := self.process.stdout.readline()):
                    break
                said = (said + [line.decode(errors="replace").strip()])[-3:]
            self.warm = self.process.poll() is None and line == b"ready\n"
            self.why = " ".join(said)[-300:] or f"no warm-up in {STARTUP_SECONDS} s"
        return self.warm and self.process.poll() is None

    def cpu_seconds(self):
        """The CPU time the zygote (bubblewrap's child) has used so far: its imports and warm-up, its forks."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return 0.0
        return sum(cpu_seconds(int(child)) for child in children)

    def close(self):
        """Its control socket closed, the zygote exits, and with it every process of its sandbox; a zygote that
        does not within seconds is killed (bubblewrap takes its sandbox with it)."""
        self.control.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


def cpu_seconds(pid):
    """The CPU time process ``pid`` has used so far (utime + stime in /proc/PID/stat), 0.0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class PooledKernel:
    """A kernel that a zygote forked, with the methods of ``subprocess.Popen`` that jupyter_client's provisioner
    uses. It is not this process's child: it is watched through a pidfd, and closing its lifeline makes the
    zygote kill it."""

    stdin = stdout = stderr = None

    def __init__(self, pid, lifeline):
        self.pid, self.lifeline = pid, lifeline
        self.pidfd = os.pidfd_open(pid)
        self.returncode = None

    def poll(self):
        if self.returncode is None and select.select([self.pidfd], [], [], 0)[0]:
            self.returncode = -signal.SIGKILL  # its status goes to the zygote
            self.lifeline.close()
        return self.returncode

    def wait(self, timeout=None):
        select.select([self.pidfd], [], [], timeout)
        return self.poll()

    def send_signal(self, signum):
        if self.poll() is None:
            signal.pidfd_send_signal(self.pidfd, signum)

    def cpu_seconds(self):
        return cpu_seconds(self.pid)

    def kill(self):
        self.lifeline.close()
        try:
            self.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass

    terminate = kill


class SandboxProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, with the kernel wrapped in the sandbox (see the module docstring).

    Its ``reports`` list receives the guard's lines as they arrive; ``channel_closed`` tells whether the
    guard's pipe closed before the kernel was shut down (student code closed it). The kernel is started
    sealed: ``launch_kernel`` returns once its sockets are bound and their folder is read-only."""

    data_dir = Unicode(help="the course's data folder, bound read-only").tag(config=True)
    limits = Dict(help="the fields of Limits").tag(config=True)
    zygote_fd = Int(-1, help="a Zygote's control socket: the kernel is forked there (-1: a sandbox of its own)").tag(
        config=True)
    folder = None  # the connection file's, on the host, the grader's alone; removed once the kernel runs
    folder_fd = None  # a forked kernel's socket folder, opened through /proc/PID/root
    reports = None
    channel_closed = False

    async def pre_launch(self, **kwargs):
        km = self.parent
        self.folder = Path(tempfile.mkdtemp(prefix="corso-kernel-"))
        self.key = secrets.token_bytes(32)
        km.transport = "ipc"
        km.ip = str(SOCKETS / "kernel")  # as the kernel sees it; the grader's path once it runs
        km.connection_file = str(self.folder / "connection.json")
        kwargs = await super().pre_launch(**kwargs)
        self.report_read, self.report_write = os.pipe()
        self.output_read, self.output_write = os.pipe()
        if self.zygote_fd >= 0:
            return kwargs  # the zygote forks the kernel: launch_kernel
        self.key_read = _pipe_holding(self.key)
        self.connection_read = _pipe_holding(Path(km.connection_file).read_bytes())
        self.info_read, self.info_write = os.pipe()
        launcher = kwargs["cmd"]  # python -m ipykernel_launcher -f CONNECTION [extra arguments]
        arguments = [str(SOCKETS / "connection.json") if argument == km.connection_file else argument
                     for argument in launcher[3:]]
        # -P: the guard's folder stays off sys.path (nothing of corso.grading hides a module it imports)
        command = [sys.executable, "-P", str(GUARD), str(self.report_write), str(self.key_read), *arguments]
        kwargs["cmd"] = bwrap_command(command, self.data_dir, Limits(**self.limits), _sandbox_uid(),
                                      self.connection_read, self.info_write)
        kwargs["env"] = kernel_environment(self.data_dir)
        kwargs["cwd"] = "/"  # bwrap's, on the host; the kernel starts in its /tmp
        return kwargs

    async def launch_kernel(self, cmd, **kwargs):
        if self.zygote_fd >= 0:
            return await asyncio.get_running_loop().run_in_executor(None, self._fork_from_zygote)
        passed = (self.report_write, self.key_read, self.connection_read, self.info_write)
        kwargs.update(pass_fds=passed, stdout=self.output_write, stderr=subprocess.STDOUT)
        try:
            connection_info = await super().launch_kernel(cmd, **kwargs)
        finally:
            for fd in (*passed, self.output_write):
                os.close(fd)
        self.reports, self.output = [], b""
        threading.Thread(target=self._read_reports, daemon=True).start()
        threading.Thread(target=self._read_output, daemon=True).start()
        try:
            root = await asyncio.get_running_loop().run_in_executor(None, self._start_sealed, connection_info)
        except BaseException:
            await self.kill()
            await self.wait()
            await self.cleanup()
            raise
        self.parent.ip = connection_info["ip"] = f"{root}{SOCKETS}/kernel"
        return connection_info

    async def post_launch(self, **kwargs):
        """jupyter_client has read the connection file back: its folder goes now, not at shutdown, so that
        nothing is left on the host even when this process is killed."""
        await super().post_launch(**kwargs)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _fork_from_zygote(self):
        """Ask the zygote for a kernel; once it is ready, open its socket folder (it must be read-only) and let
        it go on. Its connection info, with the sockets reached through that folder."""
        lifeline, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        lifeline.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        request = {"connection": json.loads(Path(self.parent.connection_file).read_text()), "key": self.key.hex(),
                   "limits": self.limits, "sockets": str(SOCKETS), "sockets_bytes": SOCKETS_BYTES}
        try:
            with socket.socket(fileno=os.dup(self.zygote_fd)) as control:
                socket.send_fds(control, [json.dumps(request).encode()],
                                [theirs.fileno(), self.report_write, self.output_write])
        finally:
            for fd in (theirs.detach(), self.report_write, self.output_write):
                os.close(fd)
        self.reports, self.output = [], b""
        threading.Thread(target=self._read_reports, daemon=True).start()
        threading.Thread(target=self._read_output, daemon=True).start()
        lifeline.settimeout(STARTUP_SECONDS)
        try:
            said, ancillary, _flags, _address = lifeline.recvmsg(8, socket.CMSG_SPACE(12))
            if said != b"ready" or not ancillary:
                raise OSError("no kernel")
            pid = int.from_bytes(ancillary[0][2][:4], sys.byteorder)  # struct ucred: pid, uid, gid
            self.process = PooledKernel(pid, lifeline)
            self.folder_fd = os.open(f"/proc/{pid}/root{SOCKETS}", os.O_PATH | os.O_DIRECTORY)
            if not os.statvfs(f"/proc/self/fd/{self.folder_fd}").f_flag & os.ST_RDONLY:
                raise OSError(f"its socket folder {SOCKETS} is writable")
            lifeline.sendall(b"go")
        except OSError as error:
            lifeline.close()
            said = self.output.decode(errors="replace").strip().splitlines() or [str(error)]
            raise SandboxUnavailable(f"the kernel did not start in the sandbox: {said[-1][:300]}") from None
        self.pid = pid
        self.parent.ip = self.connection_info["ip"] = f"/proc/self/fd/{self.folder_fd}/kernel"
        return self.connection_info

    def _start_sealed(self, connection_info):
        """Wait for the kernel's sockets, then seal the sandbox; its root as the grader reaches it."""
        pid = sandbox_pid(self.info_read)
        root = f"/proc/{pid}/root"
        sockets = [Path(f"{root}{SOCKETS}/kernel-{connection_info[port]}") for port in PORTS]
        if not wait_for_sockets(sockets, self.process):
            said = self.output.decode(errors="replace").strip().splitlines() or ["no output"]
            raise SandboxUnavailable(f"the kernel did not start in the sandbox: {said[-1][:300]}")
        seal_sandbox(pid, Limits(**self.limits))
        return root

    def _read_reports(self):
        with os.fdopen(self.report_read, "rb") as pipe:
            for line in pipe:
                self.reports.append(line)
        self.channel_closed = True

    def _read_output(self):
        """The kernel's stdout and stderr, of which only the tail is kept: nothing it prints lands on the host."""
        with os.fdopen(self.output_read, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 16):
                self.output = (self.output + chunk)[-OUTPUT_TAIL:]

    async def cleanup(self, restart=False):
        await super().cleanup(restart)
        if self.folder_fd is not None:
            os.close(self.folder_fd)
            self.folder_fd = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _pipe_holding(data):
    """The read end of a pipe holding ``data`` (at most a pipe's buffer), its write end closed."""
    read, write = os.pipe()
    os.write(write, data)
    os.close(write)
    return read


class SandboxKernelSpecs(KernelSpecManager):
    """The grading kernel's spec, made here rather than found on disk; every other name is refused."""

    data_dir = None
    limits = None
    zygote_fd = -1

    def get_kernel_spec(self, kernel_name):
        if kernel_name != KERNEL_NAME:
            raise SandboxUnavailable(f"grading runs only the sandboxed kernel, not {kernel_name!r}")
        provisioner = {"provisioner_name": KERNEL_NAME, "config": {
            "data_dir": str(self.data_dir), "limits": asdict(self.limits), "zygote_fd": self.zygote_fd}}
        # interrupt_mode "message": a timed-out cell is interrupted by the kernel itself (a signal to the
        # process the grader started would reach bubblewrap, which dies, and the kernel with it)
        return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                          display_name="Python 3 (sandboxed grading)", language="python", interrupt_mode="message",
                          metadata={"kernel_provisioner": provisioner})


def kernel_manager(data_dir, limits=Limits(), zygote_fd=-1):
    """A KernelManager class whose kernels are sandboxed (nbclient makes one per notebook it executes), each
    in a sandbox of its own started for it, or forked by the Zygote whose control socket is ``zygote_fd``."""
    specs = SandboxKernelSpecs()
    specs.data_dir, specs.limits, specs.zygote_fd = data_dir, limits, zygote_fd

    class SandboxKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(kernel_spec_manager=specs, **kwargs)

    return SandboxKernelManager
