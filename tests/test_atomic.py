"""Atomic writes: whole new file or untouched old one, ordinary permissions, no debris."""

import os

import pytest

from lra_edu.atomic import write_atomic


def test_writes_text_and_bytes_with_ordinary_permissions(tmp_path):
    path = tmp_path / "sub" / "f.txt"
    write_atomic(path, "héllo")
    assert path.read_text(encoding="utf-8") == "héllo"
    write_atomic(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in path.parent.iterdir()] == ["f.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "f.txt"
    write_atomic(path, "old")
    with pytest.raises(TypeError):
        write_atomic(path, 42)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
