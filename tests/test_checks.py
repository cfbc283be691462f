"""The observations a test makes (corso.checks), how grading strips a test cell (corso.lessons.grading_source)
and how the grader judges what a kernel reports (corso.grading.verdict): plain data only, the kernel's text
never shown, nothing but a match with the reference passes."""

import json

import numpy as np
import pytest
import torch

from corso.checks import check, drain, observe, same_memory, well_formed
from corso.grading.verdict import judge, read_observations
from corso.lessons import expectation_names_left, grading_source

HIDDEN = "_cols in [(1, 5), (4, 1), (2, 7), (6, 6)]"  # stands for a hidden test line


def reference(*values, label="make_grid(1, 5) / make_grid(1, 5)", **tolerance):
    return [{"label": label, "found": observe(value), "rtol": tolerance.get("rtol"), "atol": tolerance.get("atol")}
            for value in values]


def reported(*values):
    return [{"label": "anything", "found": observe(value)} for value in values]


def test_check_passes_the_right_value_and_records_plain_data():
    drain()
    check("grid", torch.arange(6.0).view(2, 3), expected=torch.arange(6.0).view(2, 3))
    (record,) = json.loads(drain())
    assert record["found"]["kind"] == "tensor" and record["found"]["shape"] == [2, 3]
    assert json.loads(drain()) == []


@pytest.mark.parametrize("found, expected, words", [
    (torch.zeros(3, 2), torch.zeros(2, 3), "forma errata: attesa (2, 3), trovata (3, 2)"),
    (torch.zeros(2, dtype=torch.float64), torch.zeros(2), "dtype errato: atteso torch.float32"),
    (torch.zeros(2), torch.ones(2), "valori errati"),
    (np.float64(1.0), 1.0, "tipo errato: atteso float, trovato numpy.float64"),
    ([1, 2], [1, 3], "elemento [1]"),
    (torch.ones(2, requires_grad=True) * 2, torch.ones(2) * 2, "requires_grad: atteso False, trovato True"),
])
def test_check_names_the_first_difference_in_both_languages(found, expected, words):
    with pytest.raises(AssertionError) as failure:
        check("x / x", found, expected=expected, grad=True)
    assert words in str(failure.value) and " / x: " in str(failure.value)


def test_objects_that_decide_their_own_comparisons_are_another_type():
    class Agreeable(torch.Tensor):
        def __eq__(self, other):
            return True

    class Impostor:
        __class__ = property(lambda self: torch.Tensor)

    for impostor in (torch.zeros(2).as_subclass(Agreeable), Impostor()):
        assert observe(impostor)["kind"] == "other"
        with pytest.raises(AssertionError, match="tipo errato"):
            check("x", impostor, expected=torch.zeros(2))


def test_tolerances_are_the_tests_own():
    check("x", 1.0 + 1e-6, expected=1.0, rtol=1e-5, atol=0)
    with pytest.raises(AssertionError):
        check("x", 1.0 + 1e-6, expected=1.0)  # the default, float64's 1e-7
    check("x", torch.tensor([1.0 + 1e-6]), expected=torch.tensor([1.0]))  # float32's default rtol 1.3e-6


def test_same_memory():
    base = torch.arange(6)
    assert same_memory(base.view(2, 3), base) and not same_memory(base.clone(), base)
    assert not same_memory(base.numpy(), base)


def test_grading_removes_every_expected_value():
    source = ('def _expected_grid(rows, cols):\n    return torch.arange(rows * cols)\n'
              'for _rows, _cols in [(3, 4)]:\n    _expected = _expected_grid(_rows, _cols)\n'
              '    check("g", make_grid(_rows, _cols), expected=_expected, rtol=1e-5)\n')
    stripped = grading_source(source)
    assert "_expected" not in stripped and "expected=" not in stripped and "rtol=1e-05" in stripped
    assert expectation_names_left(source) == []
    assert expectation_names_left('_expected = 1\ncheck("g", f(), expected=_expected)\nprint(_expected)') == [
        "_expected"]


def test_only_a_match_with_the_reference_passes():
    wanted = reference(torch.zeros(1, 5), True)
    assert judge(wanted, reported(torch.zeros(1, 5), True)) is None
    assert "valori errati" in judge(wanted, reported(torch.ones(1, 5), True))
    assert "si è fermato prima di questa verifica" in judge(wanted, reported(torch.zeros(1, 5)))
    assert "più osservazioni" in judge(wanted, reported(torch.zeros(1, 5), True, True))
    assert "non sono leggibili" in judge(wanted, None)
    assert "non ha osservazioni di riferimento" in judge(None, [])


def test_nothing_the_kernel_wrote_reaches_a_message():
    wanted = reference(torch.zeros(1, 5), "a label", {"k": 1})
    forged = [
        [{"found": {"kind": HIDDEN}}],
        [{"found": {"kind": "tensor", "dtype": HIDDEN, "shape": [1, 5], "array_dtype": "float32",
                    "data": "AAAA"}}],
        [{"found": {"kind": "array", "dtype": "<U40", "shape": [1], "data": "QUJD" * 40}}],
        [{"found": {"kind": "other", "type": HIDDEN}}],
        reported(torch.zeros(1, 5), HIDDEN),
        reported(torch.zeros(1, 5), "a label", {HIDDEN: 1}),
    ]
    for observations in forged:
        message = judge(wanted, observations)
        assert message and HIDDEN not in message, message
    assert read_observations("[1, 2]") is None and read_observations("not json") is None


def test_only_well_formed_observations_are_read():
    for value in (torch.zeros(2, 3), torch.ones(2, dtype=torch.bfloat16), np.arange(3), 1, 1.5, "x", None,
                  [1, (2, 3)], {"a": torch.zeros(1)}, object()):
        assert well_formed(observe(value, grad=True)), value
    assert not well_formed({"kind": "int", "value": "1"})
    assert not well_formed({"kind": "tensor", "dtype": "torch.float32", "shape": [3], "array_dtype": "float32",
                            "data": "AAAA"})  # 3 bytes are no 3 floats
