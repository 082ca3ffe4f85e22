"""safewrite.replace_file: how venvd writes its records, caches and lists (see the module)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from venvd.safewrite import replace_file, replace_text


def test_a_link_at_the_temporary_name_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("mine\n")
    target = tmp_path / "record"
    (tmp_path / f"record.{os.getpid()}.tmp").symlink_to(victim)
    replace_text(str(target), "new\n")
    assert target.read_text() == "new\n" and not target.is_symlink()
    assert victim.read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record", "victim"]


def test_a_write_that_fails_leaves_the_old_file_and_nothing_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()  # renaming a file over a directory fails
    (target / "kept").write_text("")
    with pytest.raises(OSError):
        replace_file(str(target), b"data")
    assert target.is_dir() and (target / "kept").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_chmod_sets_the_mode_exactly_and_durable_writes_the_same(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    old = os.umask(0o077)
    try:
        replace_text(str(target), "a = 1\n", mode=0o600, chmod=0o644, durable=True)
    finally:
        os.umask(old)
    assert target.read_text() == "a = 1\n"
    assert target.stat().st_mode & 0o777 == 0o644
