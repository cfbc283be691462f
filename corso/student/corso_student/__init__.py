"""The students' Validate: the student edition's Jupyter server extension.

``POST corso/validate`` with ``{"path": the notebook, relative to the server's root}`` checks the notebook with
``corso.check`` (a new kernel runs it from the start; the settings are the edition's ``nbgrader_config.py``, in
the folder JupyterLab was started from) and answers ``{"title", "html", "passed"}``: the list, exercise by
exercise, in the notebook's language, that the edition's Validate button (the lab extension
``corso-validate``) shows in a dialog. The check runs in a worker thread, so the server keeps answering.

``SealedSubmit``: the classroom's submit (see its docstring).
"""

import asyncio
import json
from pathlib import Path

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from nbgrader.exchange.default.submit import ExchangeSubmit
from tornado import web

from corso import check


class ValidateHandler(APIHandler):
    def initialize(self, root):
        self.root = Path(root).resolve()

    @web.authenticated
    async def post(self):
        body = self.get_json_body() or {}
        target = (self.root / str(body.get("path", ""))).resolve()
        if not target.is_relative_to(self.root) or target.suffix != ".ipynb":
            raise web.HTTPError(403, "not a notebook of this folder / non è un notebook di questa cartella")
        try:
            report = await asyncio.get_running_loop().run_in_executor(None, check.self_check, self.root, target)
        except check.CheckError as error:
            raise web.HTTPError(400, str(error).replace(str(self.root) + "/", "")) from None
        self.finish(json.dumps({"title": check.WORDS[report.language]["title"], "html": check.as_html(report),
                                "passed": report.passed}))


def _jupyter_server_extension_points():
    return [{"module": "corso_student"}]


def _load_jupyter_server_extension(app):
    route = url_path_join(app.web_app.settings["base_url"], r"/corso/validate")
    app.web_app.add_handlers(".*$", [(route, ValidateHandler, {"root": app.root_dir})])
    app.log.info("corso_student: the course's Validate loaded")


class SealedSubmit(ExchangeSubmit):
    """nbgrader's submit (the Assignments tab's and ``nbgrader submit``), then the submission made its student's
    alone: nbgrader leaves the folder 0777 and its files 0444 "so the instructor can delete later", so anyone who
    learns its name could read, empty or change it. In the classroom the grader is root and needs neither.
    (``c.ExchangeFactory.submit`` in each student's nbgrader_config.py, written by ``corso classroom setup``.)"""

    def copy_files(self):
        super().copy_files()
        folder = Path(self.inbound_path) / self.assignment_filename
        for path in folder.rglob("*"):
            path.chmod(0o700 if path.is_dir() else 0o400)
        folder.chmod(0o700)
