"""A JupyterLab server started for one test module, and the helpers that drive its page like a student.

The server runs from a temporary course folder (its own settings, workspaces and runtime folders, so
nothing a developer configured leaks in and nothing the test does leaks out) on 127.0.0.1, a free port
and a random token. It is stopped by its own PID and process group, and every process it started
(kernels, nbgrader's validation kernel) is checked and, if still there, killed.

The browser is Debian's Chromium (``/usr/bin/chromium``) driven by Playwright: nothing is downloaded.
Every wait is for a condition on the page (a selector, the kernel status, the execution prompts), each
with a bounded timeout; there are no fixed sleeps.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

# Debian's Chromium (apt-get install -y chromium). CORSO_CHROMIUM names another installed Chromium-based
# browser where Debian's package does not exist (e.g. /usr/bin/google-chrome on GitHub's Ubuntu runners).
CHROMIUM = os.environ.get("CORSO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}

# Bounded waits, in seconds. Generous for a 2-core machine shared with other tests.
SERVER_START_TIMEOUT = 90
KERNEL_READY_TIMEOUT = 90
RUN_ALL_TIMEOUT = 120
VALIDATE_TIMEOUT = 180  # the check re-executes the whole notebook in a fresh kernel
STOP_TIMEOUT = 15

# JupyterLab settings written before the server starts: no "get Jupyter news?" toast in the screenshots.
INITIAL_SETTINGS = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}
TRANSLATION_PLUGIN = "@jupyterlab/translation-extension:plugin"


# ---------------------------------------------------------------------------------------------------
# Processes (Linux /proc: the browser test runs where Debian's Chromium does)

def _stat(pid):
    """(state, ppid) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # the command name may hold spaces and parentheses
    return fields[0], int(fields[1])


def is_running(pid):
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def descendants(pid):
    """PIDs of every running process below ``pid`` (children, grandchildren, ...)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat and stat[0] not in ("Z", "X"):
                children.setdefault(stat[1], []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def command_line(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def children_matching(pid, words, wait=10):
    """Running descendants of ``pid`` whose command line mentions one of ``words``: {pid: command}.

    Processes on their way out get up to ``wait`` seconds to finish before they are reported.
    """
    deadline = time.monotonic() + wait
    while True:
        found = {child: command_line(child) for child in descendants(pid)
                 if any(word in command_line(child) for word in words)}
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _wait_gone(pids, timeout):
    deadline = time.monotonic() + timeout
    while any(is_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [pid for pid in pids if is_running(pid)]


# The server is started through this launcher: it asks Linux to SIGKILL it if the test process dies without
# stopping it (killed outright, out of memory: no ``finally`` runs), then becomes ``jupyter lab``
# (the request survives exec). SIGKILL rather than SIGTERM: jupyter_server's own shutdown can stall (see
# ``JupyterLab.stop``); its kernels notice that their parent is gone and exit by themselves.
_LAUNCHER = """
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG (Linux)
except (OSError, AttributeError):
    pass
os.execv(sys.executable, [sys.executable, "-m", "jupyterlab", *sys.argv[1:]])
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------------
# The server

class ServerError(Exception):
    """The server did not start, or did not answer as expected; the message ends with its log."""


class JupyterLab:
    """One ``jupyter lab`` process serving ``root`` (a temporary course folder), with its own state folders.

    The server runs from ``root`` so nbgrader's Validate finds the course's ``nbgrader_config.py`` there.
    """

    def __init__(self, root, state, log_path):
        self.root, self.state, self.log_path = Path(root), Path(state), Path(log_path)
        self.token = secrets.token_hex(24)
        self.port = None
        self.process = None
        self.leftovers = {}  # processes that outlived the server and had to be killed: {pid: command}

    # -- life cycle --------------------------------------------------------------------------------

    def environment(self):
        env = dict(os.environ)
        for name in ("config", "data", "runtime", "settings", "workspaces"):
            (self.state / name).mkdir(parents=True, exist_ok=True)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.state / "config"),
            JUPYTER_DATA_DIR=str(self.state / "data"),
            JUPYTER_RUNTIME_DIR=str(self.state / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(self.state / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(self.state / "workspaces"),
            OMP_NUM_THREADS="1",  # kernels share 2 cores with the browser and other test workers
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        )
        return env

    def command(self):
        command = [
            sys.executable, "-c", _LAUNCHER, "--no-browser",
            "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
            command.append("--allow-root")
        return command

    def write_initial_settings(self):
        for plugin, values in INITIAL_SETTINGS.items():
            package, name = plugin.split(":")
            path = self.state / "settings" / package / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))

    def start(self, attempts=3):
        """Start the server and wait until its API answers; retry on another port if this one was taken."""
        env = self.environment()
        self.write_initial_settings()
        for attempt in range(1, attempts + 1):
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                log.write(f"--- start {attempt}: port {self.port}\n".encode())
                log.flush()
                self.process = subprocess.Popen(
                    self.command(), cwd=self.root, env=env, stdin=subprocess.DEVNULL,
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # own process group
            if self._wait_ready():
                return self
            self.process.wait()  # it exited: most likely the port was taken between our check and its bind
        raise ServerError(f"jupyter lab did not start after {attempts} attempts\n{self.log_tail()}")

    def _wait_ready(self):
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                self.request("GET", "api/status", timeout=5)
                return True
            except (OSError, ServerError):  # not listening yet
                time.sleep(0.2)
        self.stop()
        raise ServerError(f"jupyter lab did not answer within {SERVER_START_TIMEOUT} s\n{self.log_tail()}")

    def stop(self):
        """Stop the server (SIGTERM to its process group, SIGKILL after a timeout) and everything it started.

        Kernels live in their own sessions, so they are found by parentage before the server goes; any
        that outlive it are killed and recorded in ``self.leftovers``. The SIGKILL fallback is needed:
        jupyter_server 2.21 / jupyter_client 8.10 abort their SIGTERM shutdown with InvalidStateError
        when a kernel is (re)starting at that moment, and the server then keeps running.
        """
        if self.process is None:
            return
        process, self.process = self.process, None
        started = {pid: command_line(pid) for pid in descendants(process.pid)}
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)  # jupyter shuts its kernels down on SIGTERM
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT)
        survivors = _wait_gone(list(started), timeout=5)
        for pid in survivors:
            self.leftovers[pid] = started[pid]
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        still = _wait_gone(survivors, timeout=STOP_TIMEOUT)
        if still:
            raise ServerError(f"processes of the server survive SIGKILL: {still}")

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    # -- HTTP ----------------------------------------------------------------------------------------

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}/"

    def request(self, method, path, body=None, timeout=30):
        """Call the server's REST API with the token; return the decoded JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base_url + path, data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as answer:
                text = answer.read().decode()
        except urllib.error.HTTPError as error:
            raise ServerError(f"{method} {path}: HTTP {error.code} {error.read()[:500]!r}") from error
        return json.loads(text) if text else None

    def set_setting(self, plugin, values):
        """Overwrite the user settings of a JupyterLab plugin (as the Settings editor would)."""
        self.request("PUT", f"lab/api/settings/{plugin}", {"raw": json.dumps(values)})

    def set_locale(self, locale):
        """The interface language of pages opened from now on: ``it_IT``, or ``en`` for English."""
        self.set_setting(TRANSLATION_PLUGIN, {"locale": locale})

    def translations(self, locale):
        """JupyterLab's own catalog for ``locale``: {English message: translated message}."""
        if locale == "en":
            return {}
        pack = self.request("GET", f"lab/api/translations/{locale}")["data"]
        return {key: value[0] for key, value in pack.get("jupyterlab", {}).items()
                if key and isinstance(value, list) and value}

    def page_url(self, path, workspace):
        """The URL that opens ``path`` in a fresh workspace (``reset``: no tabs restored from earlier tests)."""
        return f"{self.base_url}lab/workspaces/{workspace}/tree/{path}?reset&token={self.token}"


# ---------------------------------------------------------------------------------------------------
# The browser and the notebook page

@contextmanager
def chromium():
    """Chromium driven by Playwright (no browser download: the system's); closed with everything it started."""
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} not found: apt-get install -y chromium (or set CORSO_CHROMIUM)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()
    left = children_matching(os.getpid(), ("chromium", "playwright"))
    assert not left, f"browser processes left behind: {left}"


NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
INDICATOR = f"{NOTEBOOK} .jp-Notebook-ExecutionIndicator"
DIALOG = ".jp-Dialog"

# Run in the page before a (re)run: record every kernel status the toolbar shows and whether any cell was
# queued ([*]), so that "the run is over" cannot be mistaken for "the run has not started yet".
_WATCH_RUN = """({indicator, notebook}) => {
  const status = () => document.querySelector(indicator)?.dataset.status ?? 'none';
  const queued = () => Array.from(document.querySelectorAll(`${notebook} .jp-InputPrompt`))
    .some(p => p.textContent.includes('*'));
  if (window.__corsoObserver) window.__corsoObserver.disconnect();
  window.__corsoRun = {statuses: [status()], queued: queued()};
  window.__corsoObserver = new MutationObserver(() => {
    const run = window.__corsoRun;
    if (run.statuses[run.statuses.length - 1] !== status()) run.statuses.push(status());
    run.queued = run.queued || queued();
  });
  window.__corsoObserver.observe(document.querySelector(notebook),
    {subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-status']});
}"""

# The run is over: it did start (a cell was queued), nothing is queued any more, and the kernel is idle.
_RUN_OVER = """({indicator, notebook}) => {
  const queued = Array.from(document.querySelectorAll(`${notebook} .jp-InputPrompt`))
    .some(p => p.textContent.includes('*'));
  return window.__corsoRun.queued && !queued && document.querySelector(indicator).dataset.status === 'idle';
}"""
_SELECTORS = {"indicator": INDICATOR, "notebook": NOTEBOOK}


class NotebookPage:
    """A notebook open in JupyterLab, seen and used through the page only (clicks, keys, what is shown)."""

    def __init__(self, page, lab, path, artifacts, prefix):
        self.page, self.lab, self.path = page, lab, path
        self.artifacts, self.prefix = Path(artifacts), prefix
        self.screenshots = {}  # step name -> file
        self.timings = []  # (what, seconds): what the test waited for, written beside the screenshots

    @contextmanager
    def timed(self, what):
        start = time.monotonic()
        try:
            yield
        finally:
            self.timings.append((what, time.monotonic() - start))
            self.artifacts.mkdir(parents=True, exist_ok=True)
            with open(self.artifacts / f"{self.prefix}-timings.txt", "w") as out:
                out.writelines(f"{seconds:7.2f} s  {name}\n" for name, seconds in self.timings)

    @classmethod
    def open(cls, context, lab, path, artifacts, prefix):
        page = context.new_page()
        notebook = cls(page, lab, path, artifacts, prefix)
        with notebook.timed("open the notebook, kernel idle"):
            page.goto(lab.page_url(path, workspace=prefix))
            notebook.wait_kernel_idle()
        return notebook

    # -- what the page shows ---------------------------------------------------------------------------

    def cell(self, index):
        return self.page.locator(f'{NOTEBOOK} .jp-Cell[data-windowed-list-index="{index}"]')

    def wait_kernel_idle(self, timeout=KERNEL_READY_TIMEOUT):
        self.page.wait_for_selector(f'{INDICATOR}[data-status="idle"]', timeout=timeout * 1000)

    def headings(self):
        """The text of every heading rendered in the notebook's Markdown cells, without the anchor mark."""
        return [text.replace("¶", "").strip() for text in self.page.locator(
            f"{NOTEBOOK} .jp-RenderedMarkdown :is(h1, h2, h3, h4)").all_text_contents()]

    def text(self):
        """All the text of the notebook as the page holds it (rendered Markdown, code, outputs)."""
        return self.page.locator(f"{NOTEBOOK} .jp-Notebook").text_content()

    def prompt(self, index):
        return self.cell(index).locator(".jp-InputPrompt").text_content().strip()

    def error_output(self, index):
        """The text of a cell's error (stderr) outputs: '' when the cell shows no error."""
        return "\n".join(self.cell(index).locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_text_contents())

    def file_browser_columns(self):
        """The column titles of the file browser ("Name", ...): JupyterLab's own words, in its language."""
        return [title.strip() for title in self.page.locator(".jp-DirListing-headerItem").all_text_contents()]

    def scroll_to(self, index):
        """Scroll the notebook so that cell ``index`` is at the top, as a student reading it would.

        Cells out of view have estimated heights until drawn, so the scroll is repeated once they are.
        """
        self.cell(index).evaluate("""async cell => {
          const frame = () => new Promise(resolve => requestAnimationFrame(() => resolve()));
          for (let i = 0; i < 3; i++) { cell.scrollIntoView({block: 'start'}); await frame(); await frame(); }
        }""")

    def screenshot(self, step):
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{self.prefix}-{len(self.screenshots) + 1}-{step}.png"
        with self.timed(f"screenshot {path.name}"):
            self.page.screenshot(path=path)
        self.screenshots[step] = path
        return path

    # -- what a student does -----------------------------------------------------------------------

    def toolbar_button(self, command):
        return self.page.locator(f'{NOTEBOOK} .jp-NotebookPanel-toolbar [data-command="{command}"]')

    def restart_and_run_all(self, timeout=RUN_ALL_TIMEOUT, wait=True):
        """The toolbar's "Restart the kernel and run all cells" (``notebook:restart-run-all``), confirmed.

        With ``wait``, returns when every queued cell has run (or was dropped after an error) and the
        kernel is idle again; JupyterLab stops a run at the first cell that raises.
        """
        with self.timed("restart and run all: confirm"):
            self.wait_kernel_idle()
            self.page.evaluate(_WATCH_RUN, _SELECTORS)
            self.toolbar_button("notebook:restart-run-all").click()
            self.close_dialog()  # "Restart" / "Riavvia"
        if wait:
            with self.timed("restart and run all: run over, kernel idle"):
                self.wait_run_over(timeout)

    def wait_run_over(self, timeout=RUN_ALL_TIMEOUT):
        try:
            self.page.wait_for_function(_RUN_OVER, arg=_SELECTORS, timeout=timeout * 1000)
        except Exception as error:
            run = self.page.evaluate("() => window.__corsoRun")
            raise AssertionError(f"the run did not finish within {timeout} s: {run}") from error

    def set_source(self, index, source):
        """Replace the whole text of code cell ``index`` as a student would: click, select all, type.

        The text is inserted as one input (like a paste), so the editor adds no auto-indentation or
        closing brackets; the editor's content is then checked.
        """
        with self.timed(f"type into cell {index}"):
            self._set_source(index, source)

    def _set_source(self, index, source):
        editor = self.cell(index).locator(".cm-content")
        editor.scroll_into_view_if_needed()
        editor.click()
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.insert_text(source)
        lines = editor.locator(".cm-line")
        shown = "\n".join(line.replace("\u200b", "") for line in lines.all_text_contents())
        assert shown == source, f"cell {index} shows {shown!r}, typed {source!r}"
        self.page.keyboard.press("Escape")  # back to command mode

    def validate(self, timeout=VALIDATE_TIMEOUT):
        """Press the student edition's Validate button (it saves, then the server checks the notebook in a new
        kernel); return the result dialog."""
        with self.timed("validate: result dialog"):
            self.page.locator(f"{NOTEBOOK} .jp-NotebookPanel-toolbar .corso-validate").click()
            dialog = self.page.locator(DIALOG, has=self.page.locator(".corso-check, .corso-check-message"))
            dialog.wait_for(state="visible", timeout=timeout * 1000)
        return dialog

    def close_dialog(self):
        """Accept the dialog on top (waiting for one to show) and wait until that very dialog is gone."""
        dialog = self.page.wait_for_selector(DIALOG, state="visible")
        dialog.wait_for_selector(".jp-Dialog-button.jp-mod-accept").click()
        self.page.wait_for_function("dialog => !dialog.isConnected", arg=dialog)

    def scroll_dialog_to_end(self):
        """Scroll the open dialog's text to its last line (where a traceback says what happened)."""
        self.page.locator(DIALOG).evaluate("""dialog => {
          for (const box of [dialog.querySelector('.jp-Dialog-body'), ...dialog.querySelectorAll('pre')])
            if (box) box.scrollTop = box.scrollHeight;
        }""")


def publish(screenshots, names):
    """Copy the README's screenshots ({step: file name}) from ``screenshots`` ({step: file}) to $CORSO_SCREENSHOTS
    (a folder, relative to the repository root), when it is set."""
    target = os.environ.get("CORSO_SCREENSHOTS")
    if not target:
        return
    from PIL import Image
    folder = Path(target) if Path(target).is_absolute() else Path(__file__).resolve().parent.parent / target
    folder.mkdir(parents=True, exist_ok=True)
    for step, name in names.items():  # 256 colours: a third of the size, no visible difference for a UI
        with Image.open(screenshots[step]) as image:
            image.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(folder / name, optimize=True)
