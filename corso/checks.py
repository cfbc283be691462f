"""What a graded test observes of a student's work, as plain data, and how two observations are compared.

A test cell checks each thing it observes with ``check``::

    _out = make_grid(3, 4)
    check("make_grid(3, 4)", _out, expected=torch.arange(12.0).view(3, 4))
    check("make_grid(3, 4), requires_grad", _out, expected=..., grad=True)
    check("memoria condivisa con batch / memory shared with batch", same_memory(_out, _batch), expected=True)

``check`` turns ``found`` into plain data at once (``observe``): a tensor or a NumPy array into its dtype, shape
and bytes; ``None``, booleans, numbers and strings as they are; lists, tuples and dicts of these item by item.
Only exact types are read (a subclass, a proxy or any other object is observed as "another type", so nothing
the student wrote decides a comparison), through functions this module holds from its import, before any
student code ran. Then ``compare`` tells the first difference from ``expected`` (type, shape, dtype, values,
with ``torch.testing.assert_close``'s tolerances unless the test states ``rtol``/``atol``) as a bilingual
message. One test source serves two modes:

- **in the student's kernel** (Validate, ``corso check``, nbval): ``expected`` is there, the comparison is made
  in the kernel, and a difference raises AssertionError with the message;
- **grading**: the grader removes every ``expected=`` argument, and every statement that binds only names
  starting with ``_expected``, before the cell reaches the student's kernel (``corso.lessons.grading_source``);
  ``check`` then only records, the grader takes the records as data after the cell (``drain``), checks their
  form (``well_formed``) and compares them in its own process, with ``compare``, against the records of the
  same cell run on the lesson's reference solution (``corso.grading.verdict``).

This module ships with the student edition: it imports nothing from the grading side.
"""

import base64
import json
import math

import numpy
import torch

_NOTHING = object()
_RECORDS = []  # this kernel's observations since the last drain

# Held at import, before any student code: what observing a tensor calls.
_TENSOR_TYPES = (torch.Tensor, torch.nn.Parameter)
_BASE = torch._C.TensorBase
_DETACH, _CPU, _CONTIGUOUS, _NUMPY, _TO = _BASE.detach, _BASE.cpu, _BASE.contiguous, _BASE.numpy, _BASE.to
_RESOLVE_CONJ, _RESOLVE_NEG, _DATA_PTR = _BASE.resolve_conj, _BASE.resolve_neg, _BASE.data_ptr
_DTYPE, _SHAPE = _BASE.__dict__["dtype"].__get__, _BASE.__dict__["shape"].__get__
_REQUIRES_GRAD, _GRAD_FN = _BASE.__dict__["requires_grad"].__get__, _BASE.__dict__["grad_fn"].__get__
_IS_SPARSE = _BASE.__dict__["is_sparse"].__get__
_WIDENED = {torch.bfloat16: torch.float32}  # dtypes NumPy has not: their values travel as float32
_NDARRAY = numpy.ndarray
_TOBYTES, _ASCONTIGUOUS = numpy.ndarray.tobytes, numpy.ascontiguousarray
_B64, _DUMPS = base64.b64encode, json.dumps
_TYPE, _STR, _LIST, _TUPLE, _DICT, _LEN, _INT = type, str, list, tuple, dict, len, int
_PLAIN = {type(None): "none", bool: "bool", int: "int", float: "float", str: "str"}
_MAX_ITEMS = 100_000  # a container larger than this is observed as "another type"

# torch.testing.assert_close's default tolerances (rtol, atol) per dtype; integers and booleans: exact.
DEFAULT_TOLERANCE = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
                     "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7),
                     "float": (1e-7, 1e-7)}


def check(label, found, expected=_NOTHING, *, rtol=None, atol=None, grad=False):
    """Observe ``found`` (see the module's docstring); with ``expected``, fail unless it matches.

    ``label``: what is observed, ``"italiano / English"`` or one text for both; ``grad``: also observe a
    tensor's ``requires_grad`` and whether it has a ``grad_fn``."""
    observed = observe(found, grad)
    _RECORDS.append({"label": label if _TYPE(label) is _STR else "?", "found": observed, "rtol": rtol,
                     "atol": atol})
    if expected is not _NOTHING:
        difference = compare(observed, observe(expected, grad), rtol, atol)
        if difference is not None:
            raise AssertionError(message(label, difference))


def same_memory(a, b):
    """True when ``a`` and ``b`` are tensors whose data start at the same address (one is a view of the other,
    or the same tensor); False for anything else."""
    if _TYPE(a) not in _TENSOR_TYPES or _TYPE(b) not in _TENSOR_TYPES:
        return False
    return _DATA_PTR(a) == _DATA_PTR(b)


def drain():
    """The observations recorded since the last drain, as JSON text; the record starts empty again."""
    text = _DUMPS(_RECORDS)
    _RECORDS.clear()
    return text


# ---------------------------------------------------------------- observing: any object -> plain data


def observe(value, grad=False, _depth=0):
    """``value`` as plain data (JSON-ready dicts); see the module's docstring."""
    kind = _TYPE(value)
    if kind in _TENSOR_TYPES and not _IS_SPARSE(value):
        return _tensor(value, grad)
    if kind is _NDARRAY:
        array = _ASCONTIGUOUS(value)
        return {"kind": "array", "dtype": _STR(array.dtype), "shape": [_INT(n) for n in array.shape],
                "data": _B64(_TOBYTES(array)).decode()}
    if kind in _PLAIN:
        return {"kind": _PLAIN[kind], "value": value}
    if kind in (_LIST, _TUPLE) and _depth < 20 and _LEN(value) <= _MAX_ITEMS:
        return {"kind": "list" if kind is _LIST else "tuple",
                "items": [observe(item, grad, _depth + 1) for item in _LIST(value)]}
    if kind is _DICT and _depth < 20 and _LEN(value) <= _MAX_ITEMS:
        return {"kind": "dict", "items": [[observe(key, grad, _depth + 1), observe(item, grad, _depth + 1)]
                                          for key, item in _LIST(_DICT.items(value))]}
    return {"kind": "other", "type": f"{kind.__module__}.{kind.__qualname__}"[:80]}


def _tensor(tensor, grad):
    dtype = _DTYPE(tensor)
    plain = _RESOLVE_NEG(_RESOLVE_CONJ(_CONTIGUOUS(_CPU(_DETACH(tensor)))))
    if dtype in _WIDENED:
        plain = _TO(plain, _WIDENED[dtype])
    array = _NUMPY(plain)
    observed = {"kind": "tensor", "dtype": _STR(dtype), "shape": [_INT(n) for n in _SHAPE(tensor)],
                "array_dtype": _STR(array.dtype), "data": _B64(_TOBYTES(array)).decode()}
    if grad:
        observed["requires_grad"] = _REQUIRES_GRAD(tensor)
        observed["grad_fn"] = _GRAD_FN(tensor) is not None
    return observed


# ---------------------------------------------------------------- comparing two observations


def compare(found, expected, rtol=None, atol=None, hide_text=False):
    """The first difference of ``found`` from ``expected`` (both from ``observe``) as ``(italiano, English)``,
    or None when they match. ``hide_text``: show no string of ``found`` (a grading kernel's text)."""
    show = _shower(hide_text)
    if found["kind"] != expected["kind"]:
        return _wrong_type(found, expected, hide_text)
    kind = expected["kind"]
    if kind in ("tensor", "array"):
        return _compare_arrays(found, expected, rtol, atol)
    if kind in ("list", "tuple", "dict"):
        return _compare_items(found, expected, rtol, atol, hide_text)
    if kind == "other":
        return None if found["type"] == expected["type"] else _wrong_type(found, expected, hide_text)
    a, b = found["value"], expected["value"]
    if kind == "float":
        default_rtol, default_atol = DEFAULT_TOLERANCE["float"]
        if _close(a, b, default_rtol if rtol is None else rtol, default_atol if atol is None else atol):
            return None
    elif a == b:
        return None
    return (f"valore errato: atteso {show(expected)}, trovato {show(found)}",
            f"wrong value: expected {show(expected)}, found {show(found)}")


def _close(a, b, rtol, atol):
    if math.isnan(a) or math.isnan(b):
        return False
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b)


def _compare_items(found, expected, rtol, atol, hide_text):
    a, b = found["items"], expected["items"]
    if len(a) != len(b):
        return (f"lunghezza errata: attesa {len(b)}, trovata {len(a)}",
                f"wrong length: expected {len(b)}, found {len(a)}")
    for number, (item, wanted) in enumerate(zip(a, b, strict=True)):
        if expected["kind"] == "dict":
            difference = compare(item[0], wanted[0], hide_text=hide_text) or compare(
                item[1], wanted[1], rtol, atol, hide_text)
            where = f"[{_shower(False)(wanted[0])}]"
        else:
            difference = compare(item, wanted, rtol, atol, hide_text)
            where = f"[{number}]"
        if difference is not None:
            return (f"elemento {where}: {difference[0]}", f"item {where}: {difference[1]}")
    return None


def _compare_arrays(found, expected, rtol, atol):
    if found["shape"] != expected["shape"]:
        return (f"forma errata: attesa {_shape(expected)}, trovata {_shape(found)}",
                f"wrong shape: expected {_shape(expected)}, found {_shape(found)}")
    if found["dtype"] != expected["dtype"]:
        return (f"dtype errato: atteso {expected['dtype']}, trovato {found['dtype']}",
                f"wrong dtype: expected {expected['dtype']}, found {found['dtype']}")
    for flag, it, en in (("requires_grad", "requires_grad", "requires_grad"), ("grad_fn", "grad_fn presente",
                                                                                "has a grad_fn")):
        if flag in expected and found.get(flag) != expected[flag]:
            return (f"{it}: atteso {expected[flag]}, trovato {found.get(flag)}",
                    f"{en}: expected {expected[flag]}, found {found.get(flag)}")
    a, b = to_array(found), to_array(expected)
    if a is None or b is None or a.shape != b.shape:
        return ("dati illeggibili", "unreadable data")
    name = expected["dtype"].removeprefix("torch.")
    if a.dtype.kind in "fc":
        default_rtol, default_atol = DEFAULT_TOLERANCE.get(name, DEFAULT_TOLERANCE["float"])
        rtol = default_rtol if rtol is None else rtol
        atol = default_atol if atol is None else atol
        with numpy.errstate(all="ignore"):
            bad = ~(numpy.abs(a - b) <= atol + rtol * numpy.abs(b))
            bad &= ~((a == b) & numpy.isinf(b))  # the same infinity
    else:
        bad = a != b
    if not bad.any():
        return None
    if a.size <= 24:
        return (f"valori errati: atteso {_values(b)}, trovato {_values(a)}",
                f"wrong values: expected {_values(b)}, found {_values(a)}")
    where = tuple(int(i) for i in numpy.unravel_index(numpy.argmax(bad), a.shape))
    count = int(bad.sum())
    return (f"valori errati in {count} elementi su {a.size}: il primo in {where}, atteso {_values(b[where])}, "
            f"trovato {_values(a[where])}",
            f"wrong values in {count} of {a.size} elements: the first at {where}, expected {_values(b[where])}, "
            f"found {_values(a[where])}")


_SCALARS = {"none": type(None), "bool": bool, "int": int, "float": float, "str": str}
_TORCH_DTYPES = {str(value) for value in vars(torch).values() if isinstance(value, torch.dtype)}


def well_formed(observed, depth=0):
    """Whether ``observed`` has the exact form ``observe`` gives (a kernel could send anything): known kinds,
    numbers where numbers go, known dtype names, numeric bytes that fit their shape. Only such data is shown
    in a message."""
    if type(observed) is not dict or depth > 20:
        return False
    kind = observed.get("kind")
    if kind in _SCALARS:
        return type(observed.get("value")) is _SCALARS[kind]
    if kind in ("list", "tuple"):
        return type(observed.get("items")) is list and all(well_formed(item, depth + 1) for item in observed["items"])
    if kind == "dict":
        return type(observed.get("items")) is list and all(
            type(pair) is list and len(pair) == 2 and all(well_formed(part, depth + 1) for part in pair)
            for pair in observed["items"])
    if kind == "other":
        return type(observed.get("type")) is str
    if kind not in ("tensor", "array") or type(observed.get("shape")) is not list \
            or not all(type(n) is int and n >= 0 for n in observed["shape"]):
        return False
    if kind == "tensor" and (observed.get("dtype") not in _TORCH_DTYPES or any(
            type(observed.get(flag, False)) is not bool for flag in ("requires_grad", "grad_fn"))):
        return False
    array = to_array(observed)
    return array is not None and array.dtype.kind in "biufc"


def to_array(observed):
    """The NumPy array an observed tensor or array holds (None if its bytes do not fit its shape)."""
    try:
        dtype = numpy.dtype(str(observed.get("array_dtype", observed["dtype"])))
        data = base64.b64decode(observed["data"], validate=True)
        return numpy.frombuffer(data, dtype=dtype).reshape(observed["shape"])
    except (TypeError, ValueError, KeyError):
        return None


def _values(array):
    values = numpy.asarray(array).tolist()
    text = json.dumps(values, allow_nan=True) if not isinstance(values, float) else repr(values)
    return text if len(text) <= 200 else text[:200] + "…"


def _shape(observed):
    return "(" + ", ".join(str(n) for n in observed["shape"]) + ("," if len(observed["shape"]) == 1 else "") + ")"


def _wrong_type(found, expected, hide_text):
    wanted = _kind_name(expected)
    if found["kind"] == "other" and hide_text:  # a type the student named: not shown
        return (f"tipo errato: atteso {wanted}, trovato un altro tipo",
                f"wrong type: expected {wanted}, found another type")
    return (f"tipo errato: atteso {wanted}, trovato {_kind_name(found)}",
            f"wrong type: expected {wanted}, found {_kind_name(found)}")


def _kind_name(observed):
    kind = observed["kind"]
    if kind == "other":
        return observed.get("type", "?")
    return {"tensor": "torch.Tensor", "array": "numpy.ndarray", "none": "None"}.get(kind, kind)


def _shower(hide_text):
    def show(observed):
        kind = observed["kind"]
        if kind == "str" and hide_text:
            return "'…'"
        if kind in ("tensor", "array"):
            array = to_array(observed)
            return "?" if array is None else _values(array)
        if kind in ("list", "tuple", "dict"):
            return kind
        return repr(observed.get("value"))
    return show


def message(label, difference):
    """``label: difference`` in Italian, then in English (the course's ``italiano / English``)."""
    it_label, en_label = split_label(label)
    return f"{it_label}: {difference[0]} / {en_label}: {difference[1]}"


def split_label(label):
    """(Italian, English) of a label written ``italiano / English``, or the same text twice."""
    parts = str(label).split(" / ")
    if len(parts) == 2:
        return parts[0], parts[1]
    return str(label), str(label)
