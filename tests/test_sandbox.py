"""The sandbox writes nothing on the host and shows it no instructor path.

One sandboxed kernel, started directly (no nbgrader, no grading course), fills every place it can write:
many small files and big files in /tmp, in the kernel's socket folder and in every other folder it finds
writable, and its stdout and stderr. From the host, the free space and free inodes of the temporary folder's
and the course's filesystems must not drop, and nothing may be left once the kernel is shut down. Inside, its
mount table must name no path of the course, of the host's temporary folder or of $HOME, except the
environment, corso and the data, bound read-only.
"""

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from jupyter_client.utils import run_sync
from project import ROOT

from corso.data import DATA_DIR
from corso.grading import sandbox

pytestmark = pytest.mark.slow

SMALL_FILES = 200_000  # per folder: three times the sandbox's file limit
BIG_FILES = 16  # per folder, of the largest size allowed: 1 GiB, four times its space
SPACE_MARGIN = 128 << 20  # what other work on this machine may take meanwhile
INODE_MARGIN = 10_000

FILL = r"""
import json, os, sys

def writable_folders():  # one per filesystem: those named first, then any other found writable
    found = ["/", "/tmp", "/dev", "/dev/shm", %(sockets)r]
    for top, folders, _ in os.walk("/"):
        if top in ("/proc", "/sys"):
            folders.clear()
        elif os.access(top, os.W_OK):
            found.append(top)
    return {os.stat(folder).st_dev: folder for folder in reversed(found) if os.path.isdir(folder)}.values()

def fill(folder, prefix, count, size):
    files = written = 0
    chunk = b"x" * min(size, 1 << 20) or b"x"
    try:
        while files < count:
            with open(os.path.join(folder, f"{prefix}{files}"), "wb") as out:
                files += 1
                for _ in range(size // len(chunk)):
                    written += out.write(chunk)
        return [files, written, "not refused"]
    except OSError as error:
        return [files, written, error.strerror]

def fill_output(fd, size):
    chunk = b"y" * (1 << 20)
    return sum(os.write(fd, chunk) for _ in range(size // len(chunk)))

def fill_and_empty(folder, prefix, count, size):
    filled = fill(folder, prefix, count, size)
    for index in range(filled[0]):
        os.remove(os.path.join(folder, f"{prefix}{index}"))
    return filled

result = {folder: {"small": fill_and_empty(folder, "small-", %(small)d, 0),
                   "big": fill(folder, "big-", %(big)d, %(big_size)d)} for folder in writable_folders()}
result["output"] = fill_output(1, 32 << 20) + fill_output(2, 32 << 20)
sys.stdout.write("\nRESULT " + json.dumps(result) + "\n")  # one write: the kernel's echo of fd 1 (the 32 MiB
# above, still arriving) may land between two, as between print's pieces
"""

MOUNTINFO = r"""
import json, sys
sys.stdout.write("\nRESULT " + json.dumps(open("/proc/self/mountinfo").read()) + "\n")
"""


def host_filesystems():
    """The filesystems of the host's temporary folder and of the course (where grading/ is made)."""
    return {os.stat(path).st_dev: path for path in (tempfile.gettempdir(), ROOT)}.values()


def free(path):
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize, stats.f_favail


def result(client, code):
    """The JSON that ``code`` printed in the kernel on a line of its own after RESULT (its other output, such
    as what it wrote on its stdout, left aside); it must run without error."""
    printed = []

    def keep(message):
        if message["msg_type"] == "stream" and message["content"]["name"] == "stdout":
            printed.append(message["content"]["text"])
    reply = client.execute_interactive(code, timeout=600, output_hook=keep)
    assert reply["content"]["status"] == "ok", reply["content"]
    line = next(line for line in "".join(printed).splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


@pytest.fixture(scope="module", params=["own sandbox", "forked by a zygote"])
def filled(request):
    """The sandboxed kernel's report of what it wrote, its mount table, and the host before and after: a kernel
    in a sandbox started for it, and one forked by a zygote (as ``corso grade`` runs them)."""
    before = {path: free(path) for path in host_filesystems()}
    zygote = sandbox.Zygote(DATA_DIR) if request.param == "forked by a zygote" else None
    if zygote:
        assert zygote.ready(), zygote.why
        request.addfinalizer(zygote.close)
    manager = sandbox.kernel_manager(DATA_DIR, zygote_fd=zygote.control.fileno() if zygote else -1)(
        kernel_name=sandbox.KERNEL_NAME)
    run_sync(manager.start_kernel)()
    client = manager.blocking_client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        code = FILL % {"sockets": str(sandbox.SOCKETS), "small": SMALL_FILES, "big": BIG_FILES,
                       "big_size": sandbox.Limits().file_bytes}
        written = result(client, code)
        mountinfo = result(client, MOUNTINFO)
        during = {path: free(path) for path in host_filesystems()}
        kernel = {"ip": manager.ip, "folder": manager.provisioner.folder,
                  "uid": zygote.uid if zygote else sandbox._sandbox_uid()}
    finally:
        client.stop_channels()
        run_sync(manager.shutdown_kernel)(now=True)
    after = {path: free(path) for path in host_filesystems()}
    return {"written": written, "mountinfo": mountinfo, "before": before, "during": during, "after": after,
            "kernel": kernel}


def test_only_its_own_tmp_takes_files_and_within_the_limits(filled):
    written, limits = dict(filled["written"]), sandbox.Limits()
    assert written.pop("output") == 64 << 20
    tmp = written.pop("/tmp")
    assert 0 < tmp["small"][0] <= limits.files and tmp["small"][2] != "not refused", tmp
    assert 0 < tmp["big"][1] <= limits.disk_bytes and tmp["big"][2] != "not refused", tmp
    assert str(sandbox.SOCKETS) in written and "/" in written
    refused = {folder: result for folder, result in written.items()
               if result["small"][:2] == result["big"][:2] == [0, 0]}
    assert refused == written


@pytest.mark.parametrize("moment", ["during", "after"])
def test_the_hosts_disk_keeps_its_space_and_inodes(filled, moment):
    for path, (space, inodes) in filled[moment].items():
        space_before, inodes_before = filled["before"][path]
        assert space_before - space < SPACE_MARGIN, f"{path}: {(space_before - space) >> 20} MiB taken"
        assert inodes_before - inodes < INODE_MARGIN, f"{path}: {inodes_before - inodes} inodes taken"


def test_nothing_is_left_on_the_host_after_shutdown(filled):
    kernel = filled["kernel"]
    assert kernel["folder"] is not None and not kernel["folder"].exists(), "the connection file's folder is left"
    leftovers = [path for path in Path(tempfile.gettempdir()).iterdir() if _owned_by(path, kernel["uid"])]
    assert leftovers == []


def _owned_by(path, uid):
    try:
        return uid is not None and path.lstat().st_uid == uid
    except FileNotFoundError:  # another test's file, gone meanwhile
        return False


def test_the_grader_reaches_the_sockets_inside_the_sandbox(filled):
    ip = filled["kernel"]["ip"]  # through the sandbox's root, or the socket folder the grader holds open
    assert ip.startswith("/proc/") and ip.endswith((f"/root{sandbox.SOCKETS}/kernel", "/kernel"))
    assert len(f"{ip}-99".encode()) <= 107, "a Unix socket's path holds 107 bytes"


def test_the_mount_table_names_no_instructor_path(filled):
    granted = {str(path) for path in sandbox.read_only_paths(DATA_DIR)}
    instructor = [ROOT, Path(tempfile.gettempdir()), Path.home()]
    host_devices = {_device(path) for path in [*instructor, Path("/")]}
    mounts = [_mount(line) for line in filled["mountinfo"].splitlines() if line.strip()]
    for mount in mounts:
        if mount["type"] == "tmpfs" and Path(mount["point"]).is_relative_to("/tmp"):
            continue  # its own /tmp (or, for a forked kernel, a folder of it made read-only), named like the host's
        for path in (mount["root"], mount["point"]):
            named = [str(top) for top in instructor if Path(path).is_relative_to(top)]
            assert not named or (path in granted and mount["read_only"]), f"{named} in {mount['line']}"
        assert mount["read_only"] or mount["device"] not in host_devices, f"a host folder, writable: {mount['line']}"
    assert any(mount["point"] == str(sandbox.SOCKETS) for mount in mounts)


def _mount(line):
    """A line of /proc/self/mountinfo: its device, root, mount point, type and whether it is read-only."""
    fields = line.split()
    return {"device": fields[2], "root": fields[3], "point": fields[4], "type": fields[fields.index("-") + 1],
            "read_only": "ro" in fields[5].split(","), "line": line}


def _device(path):
    device = os.stat(path).st_dev
    return f"{os.major(device)}:{os.minor(device)}"


# ---------------------------------------------------------------- kernels forked by a zygote, one after another

LEAVE_BEHIND = """
import os, subprocess
open('/tmp/left-by-the-first', 'w').write('secret')
subprocess.Popen(['sleep', '4321'], start_new_session=True)
print('RESULT', [os.getpid()])
"""

LOOK_AROUND = """
import json, os
others = [pid for pid in os.listdir('/proc') if pid.isdigit() and int(pid) != os.getpid()
          and 'sleep' in open(f'/proc/{pid}/cmdline').read()]
print('RESULT', json.dumps({"tmp": sorted(os.listdir('/tmp')), "sleepers": others}))
"""


def _pooled_kernel(zygote):
    manager = sandbox.kernel_manager(DATA_DIR, zygote_fd=zygote.control.fileno())(kernel_name=sandbox.KERNEL_NAME)
    run_sync(manager.start_kernel)()
    client = manager.blocking_client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    return manager, client


def test_a_forked_kernel_takes_nothing_with_it_and_leaves_nothing_to_the_next():
    """The first kernel leaves a file in its /tmp and a process in a session of its own, and its grading process
    goes without shutting it down (its lifeline closes): the kernel and its process die, and the next kernel of
    the same zygote sees neither."""
    zygote = sandbox.Zygote(DATA_DIR)
    try:
        assert zygote.ready(), zygote.why
        manager, client = _pooled_kernel(zygote)
        result(client, LEAVE_BEHIND)
        client.stop_channels()
        manager.provisioner.process.lifeline.close()  # as when the grading process is killed
        deadline = time.monotonic() + 10
        while _running("sleep 4321") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running("sleep 4321"), "the first kernel's process outlived it"
        manager, client = _pooled_kernel(zygote)
        try:
            seen = result(client, LOOK_AROUND)
        finally:
            client.stop_channels()
            run_sync(manager.shutdown_kernel)(now=True)
        assert "left-by-the-first" not in seen["tmp"] and seen["sleepers"] == []
    finally:
        zygote.close()
    assert not _running("sleep 4321")


def _running(pattern):
    return subprocess.run(["pgrep", "-f", pattern], capture_output=True).returncode == 0
