"""The students' Validate, in Italian and English: a Jupyter server extension of the course's student edition.

It takes the place of nbgrader's ``validate_assignment`` server extension (disabled in the edition) on the
same routes, so nbgrader's own Validate button talks to it. nbgrader's validator does the work; this
handler only words the result for students:

- a failing test: the test's own message (bilingual in this course) first, the traceback after it;
- a kernel that dies (e.g. ``os._exit``, out of memory) or a cell that runs past the time limit: one
  bilingual sentence saying what happened and what to do, instead of nbgrader's raw Python traceback.

The dialog's fixed words ("Validation Results", "The following cell failed:", "Success! ...") belong to
nbgrader's lab extension and stay English.
"""

import html
import json
import re
import textwrap
import traceback
from pathlib import Path

from jupyter_server.utils import url_path_join
from nbgrader.server_extensions.validate_assignment import handlers as nbgrader_validate

DEAD_KERNEL = (
    "Il kernel si è fermato durante la verifica: il codice del notebook ha chiuso Python (per esempio "
    "con os._exit o sys.exit) oppure ha esaurito la memoria. Correggi la cella che lo causa, poi "
    "Kernel > Riavvia ed esegui tutto, e premi di nuovo Validate.\n\n"
    "The kernel stopped during validation: the notebook's code ended Python (e.g. os._exit or sys.exit) "
    "or ran out of memory. Fix the cell that causes it, then Kernel > Restart and Run All, and press "
    "Validate again.")
TIMEOUT = (
    "Una cella ha superato il tempo massimo ({seconds} s) ed è stata interrotta: forse un ciclo che non "
    "termina. Correggila, poi premi di nuovo Validate.\n\n"
    "A cell ran past the time limit ({seconds} s) and was stopped: perhaps a loop that never ends. Fix it, "
    "then press Validate again.")
FAILED = "Test non superato / Test failed"


def _wrapped(text):
    """The dialog shows the message in a <pre>: break it into lines that fit."""
    return "\n\n".join(textwrap.fill(paragraph, 90) for paragraph in text.split("\n\n"))


def _last_line(error_html):
    text = html.unescape(re.sub(r"<[^>]+>", "", error_html))
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _explain_failures(result):
    """The test's message first (what a student needs), then nbgrader's traceback, still there to read."""
    for cell in result.get("failed", []):
        message = html.escape(_last_line(cell.get("error", "")))
        cell["error"] = (f"<b>{FAILED}:</b>\n<b>{message}</b>\n\n"
                         f"Traceback / Dettagli:\n{cell.get('error', '')}")
    return result


class ValidateHandler(nbgrader_validate.ValidateAssignmentHandler):
    """nbgrader's handler (same route, same answer format), with bilingual messages for students."""

    def validate_notebook(self, path):
        root = Path(self.root_dir).resolve()
        target = (root / path).resolve()
        if not target.is_relative_to(root):
            raise nbgrader_validate.web.HTTPError(403, "Access denied: path outside allowed directory")
        config = self.load_config()
        try:
            result = nbgrader_validate.Validator(config=config).validate(str(target))
        except Exception as error:  # noqa: BLE001 -- every failure becomes a message for the student
            self.log.error(traceback.format_exc())
            name = type(error).__name__
            if name == "DeadKernelError":
                return {"success": False, "value": _wrapped(DEAD_KERNEL)}
            if name == "CellTimeoutError":
                seconds = config.Execute.get("timeout", 30) if "Execute" in config else 30
                return {"success": False, "value": _wrapped(TIMEOUT.format(seconds=seconds))}
            return super().validate_notebook(path)  # nbgrader's own messages (old metadata, ...)
        if isinstance(result, str):
            result = json.loads(result)
        return {"success": True, "value": _explain_failures(result)}


def _jupyter_server_extension_points():
    return [{"module": "corso_student"}]


def _load_jupyter_server_extension(app):
    webapp = app.web_app
    webapp.settings["root_dir"] = app.root_dir
    base_url = webapp.settings["base_url"]
    webapp.add_handlers(".*$", [
        (url_path_join(base_url, r"/assignments/validate"), ValidateHandler),
        (url_path_join(base_url, r"/nbgrader_version"), nbgrader_validate.NbGraderVersionHandler),
    ])
    app.log.info("corso_student: bilingual Validate loaded")
