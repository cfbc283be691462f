"""Deterministic zips, and the wheels the course makes from them (the student edition's own packages).

The same files give the same bytes: entries sorted, modes fixed, times fixed (or given). A wheel (PEP 427,
the binary distribution format) is such a zip with its ``WHEEL`` file and a ``RECORD`` listing every file
with its SHA-256 (urlsafe base64, unpadded) and size.
"""

import base64
import hashlib
import io
import zipfile

ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold


def deterministic_zip(files, times=None):
    """Zip bytes of {name: bytes}: sorted entries, fixed modes, and the times of ``times`` ({name: date and
    time}; ZIP_TIME for the others), so equal input gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, (times or {}).get(name, ZIP_TIME))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return out.getvalue()


def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(dist, files, generator):
    """(file name, bytes) of the pure-Python wheel ``dist`` (``name-version``, normalised) holding ``files``
    ({path: bytes}, its ``.dist-info/METADATA`` among them), plus its ``WHEEL`` and ``RECORD``."""
    files = dict(files)
    files[f"{dist}.dist-info/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: {generator}\nRoot-Is-Purelib: true\n"
                                        "Tag: py3-none-any\n").encode()
    record = [f"{name},{record_hash(content)},{len(content)}" for name, content in sorted(files.items())]
    files[f"{dist}.dist-info/RECORD"] = ("\n".join(record + [f"{dist}.dist-info/RECORD,,"]) + "\n").encode()
    return f"{dist}-py3-none-any.whl", deterministic_zip(files)
