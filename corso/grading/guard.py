"""The grading kernel's watchman: started by the sandbox in place of ipykernel's launcher, before any student code.

    python guard.py REPORT_FD KEY_FD -f CONNECTION_FILE

Student code shares the kernel with the tests, so the tests cannot trust anything in it. Before a student
cell runs, this module

1. reads a one-time key from KEY_FD (then closed: the key is nowhere on disk, in argv or in the environment)
   and makes the process non-dumpable (no other process of the sandbox can read its memory);
2. imports what the tests use and starts the IPython kernel, then takes a snapshot of the objects the tests
   and the kernel's execution machinery rely on: the modules (their attributes, the attributes of their
   classes, the code, defaults and closures of their functions), the builtins, ``sys`` hooks, signal
   handlers, IPython's input and AST transformers, event callbacks, custom exception handler, display hook,
   compiler, and the kernel's and its session's handlers;
3. registers an audit hook (PEP 578: it cannot be removed, and it sees ``sys.addaudithook``). The hook
   reports at once, on REPORT_FD, every event that reaches for the kernel's internals (``gc`` object lists,
   other threads' frames, trace and profile functions, other audit hooks, ``ctypes``, ``/proc/*/mem``); and
   when the grader raises the event ``corso.check`` (with a fresh nonce, the module bindings the test cell
   needs and the builtins it uses), it compares everything with the snapshot and reports what changed.

Every report is signed with the key (keyed BLAKE2b, a C function held since start-up), so student code, which
can write to the pipe, cannot forge one; a check that is missing, late, unsigned or about another nonce
counts as tampering on the grader's side. The hook calls no student code (only identity comparisons and C
functions) and blocks signals while it runs, so no student frame ever sees it on the stack.

This file runs inside the sandbox; it imports nothing from the course.
"""

import ctypes
import json
import os
import select
import signal
import socket
import sys
import types

WATCHED_EVENTS = {"sys.addaudithook", "sys.settrace", "sys.setprofile", "sys._current_frames", "gc.get_objects",
                  "gc.get_referrers", "gc.get_referents", "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata",
                  "ctypes.addressof", "ctypes.string_at", "ctypes.wstring_at", "ctypes.PyObj_FromPtr"}
# Modules whose objects the tests or the kernel's execution call, directly or through their callees.
WATCHED_MODULES = ("builtins", "math", "random", "warnings", "functools", "operator", "types", "inspect",
                   "json", "base64", "corso.checks", "matplotlib_inline.backend_inline",
                   "numpy", "numpy.linalg", "torch", "torch._tensor", "torch.functional", "torch.overrides",
                   "torch.linalg", "torch._C", "torch._C._nn", "torch._C._linalg")
WATCHED_PREFIXES = ("numpy.testing", "numpy._core.", "torch.testing", "torch.nn", "torch.autograd",
                    "torch.optim", "torch.utils.data", "IPython.core.", "ipykernel.", "jupyter_client.session")
FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back", "f_locals", "f_globals"}
# What the kernel itself swaps while a cell runs (input(), the display hook, Ctrl-C), left out of the comparison.
SWAPPED_WHILE_RUNNING = {"builtins.input", "builtins.exit", "builtins.quit", "sys.displayhook", "sys.excepthook",
                         "signal handler SIGINT", "IPython compiler flags"}
INSTANCE = " (set on the instance)"
SYS_HOOKS = ("displayhook", "excepthook", "audit", "addaudithook", "settrace", "setprofile", "gettrace",
             "getprofile", "stdout", "stderr", "breakpointhook", "unraisablehook")


def main():
    _not_dumpable()
    if sys.argv[1] == "--zygote":
        _namespaces_work()
    _warm_up()
    from ipykernel.kernelapp import IPKernelApp
    if sys.argv[1] == "--zygote":
        app = _serve(socket.socket(fileno=int(sys.argv[2])))  # returns only in a kernel's process
    else:
        app = IPKernelApp.instance()
        app.initialize(sys.argv[3:])
        _watch_with_key(app, int(sys.argv[1]), int(sys.argv[2]))
    app.start()  # this frame, under every cell the kernel runs, holds neither the key nor the report pipe


def _watch_with_key(app, report_fd, key_fd):
    """Read the one-time key, close its pipe, and start watching; the key lives on only in the audit hook's
    closure (no frame, module or object that student code can walk to holds it)."""
    key = os.read(key_fd, 64)
    os.close(key_fd)
    watch(app, key, report_fd)


def _warm_up():
    """Import what the lessons use and trigger torch's one-time changes to itself (functions wrapped on first
    call, optimizers' ``step`` patched by the first instance, ``__slotnames__`` cached by the first pickling),
    so that the snapshot already holds the objects the tests will meet."""
    import io

    import matplotlib.pyplot  # noqa: F401 (pyplot and the inline backend add hooks to IPython's events)
    import matplotlib_inline.backend_inline  # noqa: F401
    import numpy  # noqa: F401
    import torch
    import torch.nn.functional  # noqa: F401
    import torch.testing  # noqa: F401
    import torchvision  # noqa: F401 (it loads its C library through ctypes, which is watched afterwards)

    import corso.checks  # noqa: F401 (what the tests observe with, held before any student code)
    state = torch.random.get_rng_state()
    torch.manual_seed(0)
    torch.random.set_rng_state(state)
    parameters = [torch.nn.Parameter(torch.zeros(1))]
    for value in vars(torch.optim).values():
        if isinstance(value, type) and issubclass(value, torch.optim.Optimizer):
            try:
                value(parameters, lr=0.1)
            except Exception:  # noqa: BLE001 (an optimizer that needs other arguments)
                pass
    model = torch.nn.Linear(1, 1)
    torch.save({"model": model, "state": model.state_dict(), "tensor": torch.zeros(1)}, io.BytesIO())


def _not_dumpable(dumpable=0):
    _LIBC.prctl(4, dumpable, 0, 0, 0)  # PR_SET_DUMPABLE = 4


# ---------------------------------------------------------------- the zygote: warmed once, a kernel per fork
#
#     python guard.py --zygote CONTROL_FD
#
# runs as PID 1 of a sandbox of its own (``sandbox.Zygote``), imports and warms up what the lessons use once,
# and then forks one kernel per request received on CONTROL_FD (a SOCK_SEQPACKET socket of the grader's), one
# at a time. No student code ever runs in the zygote. A request is JSON (the kernel's connection file, the
# guard's key, the limits of /tmp) with three descriptors: the kernel's lifeline (a socket of the grading
# process), the guard's report pipe and the kernel's output pipe. The forked kernel makes its own sandbox inside
# the zygote's before any student code: a new user namespace and, owned by it, new mount, network, IPC and UTS
# namespaces, a fresh /tmp and socket folder (the zygote's and any earlier kernel's are out of reach), every
# descriptor but its own closed, the socket folder read-only once bound, every capability dropped. It reports
# "ready" on its lifeline (the grading process reads its PID there, as the kernel translates it), waits for
# "go" (the grader has opened its socket folder), and only then becomes non-dumpable and runs cells. When the
# kernel exits or its lifeline closes (the grading process ended, however it ended), the zygote kills every
# other process of its PID namespace (all of them the kernel's: the zygote is their init, which they cannot
# signal, trace or read, since it handles no signal and is not dumpable) and reaps them, and only then forks
# the next kernel.

CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS = (0x10000000, 0x00020000, 0x40000000,
                                                                       0x08000000, 0x04000000)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC = 1, 2, 4, 8, 32, 4096, 16384
PR_CAPBSET_DROP, PR_CAP_AMBIENT = 24, 47
_LIBC = ctypes.CDLL(None, use_errno=True)


def _call(result, what):
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _namespaces_work():
    """Exit with the reason unless a child of this process can make the namespaces a kernel needs."""
    child = os.fork()
    if child == 0:
        try:
            _own_namespaces()
            os._exit(0)
        except OSError as error:
            print(f"no pooled kernels here: {error}", file=sys.stderr, flush=True)
            os._exit(1)
    if os.waitpid(child, 0)[1] != 0:
        sys.exit(3)


def _own_namespaces():
    """A new user namespace (this user mapped to itself) and, owned by it, new mount, network, IPC and UTS
    namespaces."""
    uid, gid = os.getuid(), os.getgid()
    _call(_LIBC.unshare(CLONE_NEWUSER), "a new user namespace")
    _not_dumpable(1)  # a non-dumpable process cannot write its own maps (its /proc files are root's)
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as file:
            file.write(text)
    _not_dumpable()
    _call(_LIBC.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS),
          "new mount, network, IPC and UTS namespaces")


def _serve(control):
    """Fork a kernel for each request, one at a time; return only in a kernel's process (its IPKernelApp)."""
    if os.getpid() != 1:
        sys.exit("the zygote must be its sandbox's PID 1")
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # PID 1 gets no signal it does not handle from its namespace
    print("ready", flush=True)
    while True:
        message, fds, _flags, _address = socket.recv_fds(control, 1 << 16, 3)
        if not message:
            os._exit(0)  # the grader closed the pool
        request = json.loads(message)
        lifeline, report_fd, output_fd = fds
        kernel = os.fork()
        if kernel == 0:
            try:
                control.close()
                signal.signal(signal.SIGINT, signal.default_int_handler)
                for fd in (1, 2):
                    os.dup2(output_fd, fd)
                _own_namespaces()
                return _become_kernel(request, lifeline, report_fd)
            except BaseException as error:  # noqa: BLE001 (said on the kernel's output; its lifeline closes)
                os.write(2, f"the pooled kernel did not start: {error!r}\n".encode())
                os._exit(1)
        for fd in (report_fd, output_fd):
            os.close(fd)
        _outlive(kernel, lifeline)
        os.close(lifeline)


def _outlive(kernel, lifeline):
    """Wait until the kernel exits or its lifeline closes; then kill every other process and reap them all."""
    watcher = select.poll()
    watcher.register(lifeline, select.POLLRDHUP)
    process = os.pidfd_open(kernel)
    watcher.register(process, select.POLLIN)
    watcher.poll()
    os.close(process)
    os.kill(-1, signal.SIGKILL)  # every process of the namespace but this one: the kernel's, all of them
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _become_kernel(request, lifeline, report_fd):
    """In the forked kernel, in its namespaces: its own /tmp and socket folder, every other descriptor closed,
    its IPKernelApp bound, sealed and watched."""
    from ipykernel.kernelapp import IPKernelApp
    lifeline = socket.socket(fileno=lifeline)
    keep = {0, 1, 2, report_fd, lifeline.fileno()}
    for name in os.listdir("/proc/self/fd"):
        if int(name) not in keep:
            try:
                os.close(int(name))
            except OSError:
                pass  # the listing's own descriptor
    limits, sockets = request["limits"], request["sockets"]
    _fresh_tmp(limits)
    _call(_LIBC.mount(b"tmpfs", sockets.encode(), b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                      f"mode=0755,size={request['sockets_bytes']}".encode()), "a fresh socket folder")
    connection = os.path.join(sockets, "connection.json")
    with open(connection, "w") as file:
        json.dump(request["connection"], file)
    os.chmod(connection, 0o444)
    os.chdir("/tmp")
    app = IPKernelApp.instance()
    app.initialize(["-f", connection])
    _call(_LIBC.mount(b"none", sockets.encode(), None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                      None), "the socket folder read-only")
    _drop_capabilities()
    _not_dumpable(1)  # the grader opens the socket folder through /proc/PID/root
    lifeline.sendall(b"ready")
    if lifeline.recv(2) != b"go":
        os._exit(1)
    _not_dumpable()
    lifeline.close()
    watch(app, bytes.fromhex(request["key"]), report_fd)
    return app


def _fresh_tmp(limits):
    """A new tmpfs on /tmp, with what the sandbox binds beneath /tmp (the environment, corso, the data, when
    the course lives there) bound again, read-only, where it was."""
    with open("/proc/self/mountinfo") as mounts:
        points = sorted({line.split()[4] for line in mounts if line.split()[4].startswith("/tmp/")})
    kept = [(point, os.open(point, os.O_PATH)) for point in points
            if not any(point.startswith(f"{outer}/") for outer in points)]
    _call(_LIBC.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={limits['disk_bytes']},"
                      f"nr_inodes={limits['files']}".encode()), "a fresh /tmp")
    for point, fd in kept:
        os.makedirs(point, mode=0o755, exist_ok=True)
        _read_only_bind(f"/proc/self/fd/{fd}", point)
        os.close(fd)
    for top in sorted({"/".join(point.split("/")[:3]) for point, _fd in kept}):
        _read_only_bind(top, top)  # the folders made above them: read-only, as bubblewrap's (root's) are


def _read_only_bind(source, point):
    _call(_LIBC.mount(source.encode(), point.encode(), None, MS_BIND | MS_REC, None), f"binding {point}")
    _call(_LIBC.mount(b"none", point.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None),
          f"{point} read-only")


def _drop_capabilities():
    """Every capability the new user namespace gave, gone (and no way to get them back by exec)."""
    for number in range(64):
        _LIBC.prctl(PR_CAPBSET_DROP, number, 0, 0, 0)
    _LIBC.prctl(PR_CAP_AMBIENT, 4, 0, 0, 0)  # PR_CAP_AMBIENT_CLEAR_ALL
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    _call(_LIBC.capset(header, (ctypes.c_uint32 * 6)()), "dropping the capabilities")


def watch(app, key, report_fd):
    """Snapshot what the tests rely on and install the audit hook that checks it (see the module docstring)."""
    from hashlib import blake2b  # the C type itself (hashlib takes it from _blake2), held here
    write, getpid, pthread_sigmask = os.write, os.getpid, signal.pthread_sigmask
    shell, kernel = app.shell, app.kernel
    modules = {name: module for name, module in list(sys.modules.items())
               if name in WATCHED_MODULES or name.startswith(WATCHED_PREFIXES)}
    classes = _watched_classes(modules, shell, kernel)
    class_keys = {cls: frozenset(members) for cls, members in classes.items()}
    entries = _entries(modules, classes)
    allowed_callbacks = tuple(value for name in ("matplotlib_inline.backend_inline", "matplotlib.pyplot")
                              for value in vars(sys.modules[name]).values() if type(value) is _FUNCTION)
    baseline = _kernel_objects(shell, kernel, allowed_callbacks)
    all_signals = set(signal.Signals)
    state = {"busy": False, "pid": getpid()}

    def report(*fields):
        payload = repr(tuple(fields)).encode()
        signature = blake2b(payload, key=key, digest_size=16).hexdigest().encode()
        write(report_fd, signature + b" " + payload + b"\n")

    def check(nonce, bindings, builtin_names):
        changed = [label for label, read, container, key, original in entries
                   if read(container, key) is not original]
        now = _kernel_objects(shell, kernel, allowed_callbacks)
        changed += [label for label, before in baseline.items()
                    if label not in SWAPPED_WHILE_RUNNING and not _same(before, now.get(label, _MISSING))]
        changed += [label for label in now if label not in baseline and label.endswith(INSTANCE)]
        if sys.__dict__.get("displayhook") is not shell.displayhook:
            changed.append("sys.displayhook is not IPython's")
        for cls, members in classes.items():
            added = [name for name in members if name not in class_keys[cls]]
            if added:
                changed.append(f"{cls.__module__}.{cls.__qualname__} gained {', '.join(sorted(added))}")
        user_ns = shell.user_ns
        for name, module_name in bindings:
            if user_ns.get(name) is not (modules.get(module_name) or sys.modules.get(module_name)):
                changed.append(f"the name {name!r} is not the module {module_name}")
        changed += [f"the name {name!r} hides the builtin" for name in builtin_names if name in user_ns]
        report("check", nonce, *changed)

    def hook(event, args):
        if getpid() != state["pid"]:
            return  # a child process: it has no kernel to guard
        if state["busy"]:  # an event while the guard runs: code that tries to reach the guard's frame
            if event in WATCHED_EVENTS or event == "sys._getframe" or (
                    event == "object.__getattr__" and len(args) == 2 and args[1] in FRAME_ATTRIBUTES):
                report("event", f"code ran inside the guard ({event})")
            return
        state["busy"] = True
        blocked = pthread_sigmask(signal.SIG_BLOCK, all_signals)
        try:
            if event == "corso.check" and len(args) == 3:
                check(*args)
            elif event in WATCHED_EVENTS:
                report("event", event)
            elif event == "open" and args and type(args[0]) is str and args[0].startswith("/proc/") \
                    and args[0].endswith(("/mem", "/pagemap")):
                report("event", f"open {args[0]}")
        except BaseException as error:  # noqa: BLE001 (never let an exception carry this frame to student code)
            try:
                report("error", type(error).__name__)
            except BaseException:  # noqa: BLE001
                pass
        finally:
            pthread_sigmask(signal.SIG_SETMASK, blocked)
            state["busy"] = False

    sys.addaudithook(hook)
    report("ready")


_MISSING = object()


def _watched_classes(modules, shell, kernel):
    """{class: its attribute mapping (a live view)} for the classes of the watched modules and the kernel's."""
    classes = {}
    for name, module in modules.items():
        for value in list(module.__dict__.values()):
            if isinstance(value, type) and value.__module__ == name:
                classes[value] = vars(value)
    for instance in (shell, kernel, kernel.session, shell.events, shell.displayhook, shell.compile):
        for cls in type(instance).__mro__:
            classes[cls] = vars(cls)
    return classes


def _entries(modules, classes):
    """(label, read, container, key, original) for every module attribute, class member and function part:
    ``read(container, key)`` gives the object now, without any lookup a student could redefine."""
    entries = []
    for name, module in modules.items():
        entries.append((f"sys.modules[{name!r}]", _item, sys.modules, name, module))
        entries.append((f"type of module {name}", _type_of, module, None, type(module)))
        for attribute, value in list(module.__dict__.items()):
            entries.append((f"{name}.{attribute}", _item, module.__dict__, attribute, value))
            _function_entries(entries, f"{name}.{attribute}", value)
    for cls, members in classes.items():
        where = f"{cls.__module__}.{cls.__qualname__}"
        for member, value in list(members.items()):
            entries.append((f"{where}.{member}", _item, members, member, value))
            _function_entries(entries, f"{where}.{member}", value)
    return [entry for entry in entries if entry[0] not in SWAPPED_WHILE_RUNNING]


def _item(container, key):
    return container.get(key, _MISSING)


def _type_of(container, key):
    return type(container)


def _attribute(container, key):
    return getattr(container, key)


def _cell(container, key):
    try:
        return container.cell_contents
    except ValueError:  # an empty cell
        return None


def _function_entries(entries, label, value):
    function = value.__func__ if type(value) in (staticmethod, classmethod) else value
    if type(function) is _FUNCTION:
        for part in ("__code__", "__defaults__", "__kwdefaults__"):
            entries.append((f"{label}.{part}", _attribute, function, part, getattr(function, part)))
        for number, cell in enumerate(function.__closure__ or ()):
            entries.append((f"{label}.__closure__[{number}]", _cell, cell, None, _cell(cell, None)))


def _kernel_objects(shell, kernel, allowed_callbacks):
    """{label: object, or tuple of objects} of the kernel's execution machinery, read through its objects.
    IPython's event callbacks are compared without those IPython and the inline plotting backend register
    as they go: methods of the kernel's own objects (their classes are watched) and the backend's functions
    (``allowed_callbacks``, the very objects, not look-alikes)."""
    owners = (shell, shell.display_pub, shell.displayhook, kernel)

    def own(callback):
        if any(callback is allowed for allowed in allowed_callbacks):
            return True
        if type(callback) is not _METHOD or not any(callback.__self__ is owner for owner in owners):
            return False
        return any(vars(cls).get(callback.__func__.__name__) is callback.__func__
                   for cls in type(callback.__self__).__mro__)

    objects = {}
    system = sys.__dict__
    for hook in SYS_HOOKS:
        objects[f"sys.{hook}"] = system.get(hook)
    objects["sys.gettrace()"] = sys.gettrace()
    objects["sys.getprofile()"] = sys.getprofile()
    objects["sys.meta_path"] = tuple(system.get("meta_path", ()))
    objects["sys.path_hooks"] = tuple(system.get("path_hooks", ()))
    for number in signal.Signals:
        try:
            objects[f"signal handler {number.name}"] = signal.getsignal(number)
        except ValueError:
            pass
    manager = shell.input_transformer_manager
    objects.update({
        "IPython input transformer manager": manager,
        "IPython input transformers (post)": tuple(shell.input_transformers_post),
        "IPython cleanup transforms": tuple(manager.cleanup_transforms),
        "IPython line transforms": tuple(manager.line_transforms),
        "IPython token transformers": tuple(manager.token_transformers),
        "IPython AST transformers": tuple(shell.ast_transformers),
        "IPython custom exceptions": shell.custom_exceptions,
        "IPython display hook": shell.displayhook,
        "IPython display publisher": shell.display_pub,
        "IPython compiler": shell.compile,
        "IPython compiler flags": shell.compile.flags,
        # the holders the lines above read through, checked by identity (a look-alike could share their contents)
        "IPython events": shell.events,
        "IPython event callbacks": shell.events.callbacks,
        "IPython display formatter": shell.display_formatter,
        "IPython user namespace": shell.user_ns,
        "kernel shell": kernel.shell,
        "sys.modules": system.get("modules"),
        "kernel session": kernel.session,
        "kernel shell handlers": tuple(kernel.shell_handlers.values()),
        "kernel control handlers": tuple(kernel.control_handlers.values()),
    })
    for event, callbacks in shell.events.callbacks.items():
        objects[f"IPython {event} callbacks"] = tuple(callback for callback in callbacks if not own(callback))
    for owner, instance in (("IPython shell", shell), ("kernel", kernel), ("kernel session", kernel.session),
                            ("IPython events", shell.events)):
        methods = {name for cls in type(instance).__mro__ for name, value in vars(cls).items() if callable(value)}
        for attribute, value in list(vars(instance).items()):
            if attribute in methods:  # an instance attribute that hides a method of its class
                objects[f"{owner}.{attribute}{INSTANCE}"] = value
    return objects


_FUNCTION = type(_item)
_METHOD = types.MethodType


def _same(before, now):
    if type(before) is tuple and type(now) is tuple:
        return len(before) == len(now) and all(a is b for a, b in zip(before, now, strict=True))
    return before is now


if __name__ == "__main__":
    main()
