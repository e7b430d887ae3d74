"""Fixtures for the catalogue tests: a writable copy of the data directory, to break or change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from catalogue.files import DATA_DIR


@pytest.fixture
def data_copy(tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace text in a data file, failing if the text is not there (so a test never edits nothing)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
