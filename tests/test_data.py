"""The vendored MNIST: loads offline through torchvision's own loader; damage is named, never repaired silently."""

import gzip
import shutil
import socket

import pytest
import torchvision
from project import ROOT

from corso.data import MNIST_MD5, DataError, prepare_mnist


@pytest.fixture
def data_root(tmp_path):
    """A data folder holding only the vendored archives, as on a fresh clone."""
    shutil.copytree(ROOT / "data" / "mnist", tmp_path / "mnist")
    return tmp_path


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access blocked by the test")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", ["http://127.0.0.1:9/unreachable/"])


def test_mnist_loads_offline_with_download_true(data_root, no_network):
    written = prepare_mnist(data_root)
    assert sorted(path.name for path in written) == sorted(MNIST_MD5)
    train = torchvision.datasets.MNIST(root=data_root, train=True, download=True)
    test = torchvision.datasets.MNIST(root=data_root, train=False, download=True)
    assert (len(train), len(test)) == (60000, 10000)
    assert train.data.shape == (60000, 28, 28) and test.targets.bincount().tolist()[:2] == [980, 1135]
    assert prepare_mnist(data_root) == [], "a second call finds everything in place"


def test_the_course_data_folder_is_prepared():
    assert prepare_mnist() == [], "the install step (`corso data`) unpacked and verified MNIST"


def test_truncated_archive_is_named_and_left_alone(data_root):
    archive = data_root / "mnist" / "t10k-labels-idx1-ubyte.gz"
    archive.write_bytes(archive.read_bytes()[:2000])
    before = archive.read_bytes()
    with pytest.raises(DataError, match=f"{archive}: not a valid gzip file"):
        prepare_mnist(data_root)
    assert archive.read_bytes() == before


def test_archive_with_wrong_content_is_named(data_root):
    archive = data_root / "mnist" / "train-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(archive.read_bytes()))
    content[100] ^= 0xFF
    archive.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(DataError, match=f"{archive}: corrupted or truncated \\(md5 [0-9a-f]+, expected a25bea"):
        prepare_mnist(data_root)
    assert not (data_root / "MNIST" / "raw" / "train-labels-idx1-ubyte").exists(), "nothing wrong is unpacked"


def test_corrupted_unpacked_file_is_named_and_not_replaced(data_root):
    prepare_mnist(data_root)
    raw = data_root / "MNIST" / "raw" / "train-images-idx3-ubyte"
    raw.write_bytes(raw.read_bytes()[:-784])  # one image short
    before = raw.read_bytes()
    with pytest.raises(DataError, match=f"{raw}: corrupted or truncated .*delete it and run `corso data`"):
        prepare_mnist(data_root)
    assert raw.read_bytes() == before
