"""The Python examples of README.md and docs/tutorial.md run as doctests (in a scratch folder: the README
writes an output folder)."""

import doctest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("page", ["README.md", "docs/tutorial.md"])
def test_page_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = (ROOT / page).read_text()
    assert ">>> import bmdsim" in text
    res = doctest.testfile(str(ROOT / page), module_relative=False, optionflags=doctest.ELLIPSIS |
                           doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert res.attempted >= 4 and res.failed == 0, f"{page}: {res.failed} of {res.attempted} examples failed"
