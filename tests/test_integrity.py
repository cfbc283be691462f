"""The grading safeguards: tampering is spotted, feedback hides test tracebacks."""

import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from corso.grading.feedback import HideTestTracebacks
from corso.grading.screen import hints as tampering
from corso.running import joined_streams


@pytest.mark.parametrize("code, reason", [
    ("import torch\ntorch.testing.assert_close = lambda *a, **k: None", "rebinds torch.testing.assert_close"),
    ("torch.allclose, x = (lambda *a: True), 1", "rebinds torch.allclose"),
    ("__builtins__['isinstance'] = lambda *a: True", "rebinds __builtins__['isinstance']"),
    ("def isinstance(obj, kind):\n    return True", "redefines isinstance"),
    ("import builtins", "imports builtins"),
    ("setattr(torch, 'equal', lambda *a: True)", "calls setattr()"),
    ("from torch.testing import assert_close\nassert_close = print", "rebinds assert_close"),
    ("t = torch.testing\nt.assert_close = print", "rebinds t.assert_close"),
    ("import torch.testing as tt\ntt.assert_close = print", "rebinds tt.assert_close"),
    ("%%capture\ntorch.equal = lambda *a: True", "rebinds torch.equal"),
    ("get_ipython().ast_transformers.append(object())", "uses .ast_transformers"),
    ("vars(torch)['equal'] = print", "calls vars()"),
])
def test_tampering_is_spotted(code, reason):
    assert reason in tampering(code)


@pytest.mark.parametrize("code", [
    "def make_grid(rows, cols):\n    return torch.arange(rows * cols, dtype=torch.float32).reshape(rows, cols)",
    "x = torch.ones(3)\nx.grad = None\nmodel.weight.data = w",
    "import numpy as np\nresult = np.zeros(3)",
    "this is not python",
])
def test_honest_code_is_not_flagged(code):
    assert tampering(code) == []


def test_feedback_keeps_the_message_not_the_traceback():
    cell = new_code_cell("assert hidden_case()", metadata={"nbgrader": {"grade": True, "grade_id": "t", "points": 1}})
    cell.outputs = [new_output("error", ename="AssertionError", evalue="atteso 6, trovato 5 / expected 6, found 5",
                               traceback=["----> 3 assert double(3) == 6, 'hidden'", "AssertionError: ..."])]
    nb, _ = HideTestTracebacks().preprocess(new_notebook(cells=[cell]), {})
    assert nb.cells[0].outputs[0].traceback == ["AssertionError: atteso 6, trovato 5 / expected 6, found 5"]


@pytest.mark.slow
def test_printed_chunks_are_joined_per_run_of_one_stream_whatever_the_chunking():
    def stream(name, text):
        return new_output("stream", name=name, text=text)
    figure = new_output("display_data", data={"text/plain": "<Figure>"})
    chunked = [stream("stdout", "torch.Size([2])"), stream("stdout", " torch.Size([2, 1])\n"), figure,
               stream("stdout", "a\n"), stream("stderr", "warning\n"), stream("stderr", "again\n")]
    expected = [stream("stdout", "torch.Size([2]) torch.Size([2, 1])\n"), figure, stream("stdout", "a\n"),
                stream("stderr", "warning\nagain\n")]
    assert joined_streams(chunked) == expected
    assert joined_streams(expected) == expected
