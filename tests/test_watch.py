"""The stamp the hook compares watched files against."""

from __future__ import annotations

import os
from pathlib import Path

from venvd.watch import STAMP_LIFETIME_NS, Watch


def test_the_stamp_is_the_newest_mtime_and_is_shared(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("1")
    b.write_text("2")
    os.utime(a, ns=(10**18, 10**18))
    os.utime(b, ns=(2 * 10**18, 2 * 10**18))
    first, second = Watch(), Watch()
    for w in (first, second):
        w.add_input(str(a))
        w.add(str(b))
        w.add(str(tmp_path / "missing"))
    stamp = first.stamp(str(tmp_path / "stamps"))
    assert os.stat(stamp).st_mtime_ns == 2 * 10**18
    assert second.stamp(str(tmp_path / "stamps")) == stamp


def test_old_stamps_are_forgotten_but_never_the_one_just_made(tmp_path: Path):
    stamps = tmp_path / "stamps"
    stamps.mkdir()
    (stamps / "5").write_text("")
    os.utime(stamps / "5", ns=(5, 5))  # made long ago: a stamp's atime says when it was made
    empty = Watch()  # nothing watched: the stamp is time 0, which is "old" too
    made = empty.stamp(str(stamps))
    assert os.path.exists(made), "a shell with nothing to watch still needs its stamp"
    assert STAMP_LIFETIME_NS > 0 and not (stamps / "5").exists()


def test_the_shells_clock_files_are_forgotten_a_day_after_their_last_write(tmp_path: Path):
    # bash's hook writes bash.PID.TAG.N by a redirection (a clock of its own, no process);
    # nothing else ever removes them. One its shell still uses is simply made again.
    import time

    stamps = tmp_path / "stamps"
    stamps.mkdir()
    old, fresh = stamps / "bash.4242.x1.3", stamps / "bash.4243.x2.p"
    for path in (old, fresh):
        path.write_text("")
    day_ago = time.time_ns() - 25 * 3600 * 10**9
    os.utime(old, ns=(day_ago, day_ago))
    (stamps / "5").write_text("")
    os.utime(stamps / "5", ns=(5, 5))  # an old stamp, so that this export prunes
    Watch().stamp(str(stamps))
    assert not old.exists() and fresh.exists()


def test_a_path_only_venvd_writes_is_watched_one_way_with_its_exact_stamp_kept(tmp_path: Path):
    from venvd.watch import OWN, now_stamp

    own, theirs = tmp_path / "own", tmp_path / "theirs"
    own.mkdir()
    theirs.write_text("x")
    os.utime(own, ns=(3 * 10**18, 3 * 10**18))
    os.utime(theirs, ns=(10**18, 10**18))
    watch = Watch()
    watch.add_own(str(own))
    watch.add_input(str(theirs))
    newest = watch.stamp(str(tmp_path / "stamps"))
    # "-" and the stamp of its exact mtime: the hooks test "newer than its stamp"; zsh,
    # which reads mtimes itself (zstat), compares it exactly.
    assert watch.stamps[0] == OWN + newest and os.stat(newest).st_mtime_ns == 3 * 10**18
    assert os.stat(watch.stamps[1]).st_mtime_ns == 10**18
    # The hook's clock for directories it found no marker in: older than anything written after.
    clock = now_stamp(str(tmp_path / "stamps"))
    later = tmp_path / "later"
    later.mkdir()
    assert os.stat(clock).st_mtime_ns < os.stat(later).st_mtime_ns


def test_the_hooks_clock_is_handed_out_again_for_ten_minutes_not_made_per_export(tmp_path: Path):
    from venvd.watch import CLOCK_REUSE_NS, hook_clock

    first = hook_clock(str(tmp_path))
    assert first and hook_clock(str(tmp_path)) == first
    old = os.stat(first).st_mtime_ns - CLOCK_REUSE_NS - 1
    os.utime(first, ns=(old, old))  # as if made eleven minutes ago
    second = hook_clock(str(tmp_path))
    assert second != first and os.stat(second).st_mtime_ns > old
    (tmp_path / "stamps" / "clock").write_text("../../etc/passwd")  # not a stamp's name
    assert hook_clock(str(tmp_path)) not in ("", "../../etc/passwd")


def test_stamps_that_cannot_be_written_are_said_once_and_the_venv_still_activates(home: Path):
    # (A file where the stamps directory goes: no mkdir there, root or not.) Without stamps
    # the hook has no no-op test: every prompt asks the core, which says so once per shell.
    import json
    import subprocess

    from tests.conftest import make_project, need_python, venvd_script

    need_python("3.12")
    project = make_project(home / "proj", "3.12")
    cache = Path(os.environ["VENVD_CACHE_DIR"])
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "stamps").write_text("not a directory\n")
    env = dict(os.environ, PWD=str(project))
    said = []
    for _ in range(2):
        r = subprocess.run([venvd_script(), "export", "json"], cwd=project, env=env, capture_output=True, text=True)
        assert r.returncode == 0 and "internal error" not in r.stderr, r.stderr
        change = json.loads(r.stdout)
        env.update({k: v for k, v in change["state"].items() if isinstance(v, str)})
        env.update(change["set"])
        said.append([line for line in r.stderr.splitlines() if "stamps" in line])
    assert env["VIRTUAL_ENV"] == str(project / ".venv")
    assert len(said[0]) == 1 and "cannot write its stamps" in said[0][0] and "VENVD_CACHE_DIR" in said[0][0]
    assert said[1] == [], "once per shell"
