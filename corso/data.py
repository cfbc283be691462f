"""The course's data folder and the vendored MNIST.

MNIST ships gzip-compressed in ``data/mnist/``. ``prepare_mnist`` unpacks it into the layout
``torchvision.datasets.MNIST(root=DATA_DIR, download=True)`` expects (``data/MNIST/raw/``), checking
every file against the official md5, so torchvision finds the files and never goes to the network.
A damaged file is reported by name and left as it is.
"""

import gzip
import hashlib
import os
import zlib
from pathlib import Path

from corso.files import write_atomic


def _default_data_dir():
    """$CORSO_DATA_DIR, else the course's ``data/``: beside this package in a course checkout; in a student
    edition (this package installed in a virtual environment) the nearest ``data/`` holding ``mnist/`` at
    or above the working folder (a notebook's kernel runs in the lesson's folder, inside the edition)."""
    if os.environ.get("CORSO_DATA_DIR"):
        return Path(os.environ["CORSO_DATA_DIR"])
    beside = Path(__file__).resolve().parent.parent / "data"
    if (beside / "mnist").is_dir():
        return beside
    here = Path.cwd()
    return next((folder / "data" for folder in (here, *here.parents) if (folder / "data" / "mnist").is_dir()), beside)


DATA_DIR = _default_data_dir()

# md5 of the uncompressed idx files, as published with the dataset.
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


class DataError(Exception):
    """A data file is missing, truncated or corrupted."""


def prepare_mnist(root=DATA_DIR):
    """Unpack and verify MNIST under ``root``; return the paths it wrote (empty when all were in place)."""
    root = Path(root)
    raw = root / "MNIST" / "raw"
    written = []
    for name, md5 in MNIST_MD5.items():
        target = raw / name
        if target.exists():
            _check_md5(target, target.read_bytes(), md5, hint="delete it and run `corso data` to unpack it again")
            continue
        archive = root / "mnist" / f"{name}.gz"
        if not archive.exists():
            raise DataError(f"{archive}: missing; it is vendored with the course (restore it from git)")
        try:
            content = gzip.decompress(archive.read_bytes())
        except (EOFError, OSError, zlib.error) as error:
            raise DataError(f"{archive}: not a valid gzip file ({error}); restore it from git") from error
        _check_md5(archive, content, md5, hint="restore it from git")
        write_atomic(target, content)
        written.append(target)
    return written


def _check_md5(path, content, expected, hint):
    found = hashlib.md5(content).hexdigest()
    if found != expected:
        raise DataError(f"{path}: corrupted or truncated (md5 {found}, expected {expected}); {hint}")
