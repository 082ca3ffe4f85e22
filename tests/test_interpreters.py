"""Interpreter discovery and selection against the real interpreters on this machine.

Each case that needs a particular Python looks it up under ``$PYENV_ROOT/versions`` and
skips cleanly when it is not installed. Every environment is an explicit dict with HOME and
VENVD_CACHE_DIR inside tmp_path, so nothing reads or writes the real home's caches.
"""

from __future__ import annotations

import glob
import marshal
import os
import subprocess
import sys

import pytest

from venvd.interpreters import probe, sources
from venvd.errors import VenvdError
from venvd.interpreters import (
    CACHE_FILE,
    Interpreter,
    discover,
    find_interpreter,
    parse_py_list_paths,
    select,
)
from venvd.versionrequest import VersionRequest, parse_request

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX layout (bin/, shebang shims)")

PYENV_ROOT = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


def _installed() -> dict[str, str]:
    """pyenv version name -> its python binary, for plain X.Y.Z names."""
    found = {}
    for d in sorted(glob.glob(os.path.join(PYENV_ROOT, "versions", "*"))):
        name = os.path.basename(d)
        exe = os.path.join(d, "bin", "python")
        if all(p.isdigit() for p in name.split(".")) and name.count(".") == 2 and os.path.isfile(exe):
            found[name] = exe
    return found


INSTALLED = _installed()


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def need(prefix: str) -> str:
    """The newest installed pyenv version starting with ``prefix`` (e.g. "3.12"), or skip."""
    matching = [v for v in INSTALLED if v == prefix or v.startswith(prefix + ".")]
    if not matching:
        pytest.skip(f"no pyenv Python {prefix} installed under {PYENV_ROOT}")
    return max(matching, key=_key)


def make_env(tmp_path, path_dirs, pyenv_root=PYENV_ROOT, **extra) -> dict[str, str]:
    env = {
        "PATH": os.pathsep.join(str(p) for p in path_dirs),
        "PYENV_ROOT": str(pyenv_root),
        "HOME": str(tmp_path / "home"),
        "VENVD_CACHE_DIR": str(tmp_path / "cache"),
    }
    env.update(extra)
    return env


def write_script(path, text="#!/bin/sh\nexit 0\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def real_binary(version: str) -> str:
    return os.path.realpath(INSTALLED[version])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One discovery of the real machine (pyenv + /usr/bin), shared by the selection tests."""
    if not INSTALLED:
        pytest.skip(f"no pyenv versions under {PYENV_ROOT}")
    tmp = tmp_path_factory.mktemp("world")
    env = make_env(tmp, ["/usr/local/bin", "/usr/bin", "/bin"])
    return env, discover(env)


def req(text: str) -> VersionRequest:
    return parse_request(text, "/p/.python-version")


# ------------------------------------------------------------------ discovery


def test_discovers_pyenv_versions_with_correct_versions(world):
    env, found = world
    by_path = {i.path: i for i in found}
    for version, exe in INSTALLED.items():
        interp = by_path.get(os.path.realpath(exe))
        assert interp is not None, f"{exe} not discovered"
        assert interp.version == version
        assert interp.implementation == "cpython"
        assert not interp.freethreaded
        assert not interp.prerelease


def test_discovered_paths_are_real_absolute_binaries(world):
    _, found = world
    assert len({i.path for i in found}) == len(found)  # de-duplicated by real path
    for interp in found:
        assert os.path.isabs(interp.path)
        assert os.path.realpath(interp.path) == interp.path
        with open(interp.path, "rb") as f:
            assert f.read(2) != b"#!"
        assert "shims" not in interp.path.split(os.sep)


def test_python27_probe_works():
    version = need("2.7")
    interp = probe.probe_one(real_binary(version))
    assert interp is not None and interp.version == version


def test_shim_scripts_on_path_are_skipped(tmp_path):
    version = need("3")
    fake = tmp_path / "fakebin"
    # A pyenv-style shim: a shell script that would exec a real Python.
    write_script(fake / "python3", f'#!/bin/sh\nexec {INSTALLED[version]} "$@"\n')
    write_script(fake / "python3.12", f'#!/bin/sh\nexec {INSTALLED[version]} "$@"\n')
    shims = tmp_path / "pyenv" / "shims"
    os.makedirs(shims)
    os.symlink(real_binary(version), shims / "python3")  # even a binary in a shims dir is skipped
    env = make_env(tmp_path, [fake, shims], pyenv_root=tmp_path / "pyenv")
    before = probe.probe_count
    assert discover(env) == []
    assert probe.probe_count == before  # the scripts were never run


def test_path_symlinks_resolved_and_deduplicated(tmp_path):
    version = need("3")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("python", "python3", "python3.99"):
        os.symlink(INSTALLED[version], bin_dir / name)
    os.symlink("/bin/false", bin_dir / "python3.98")  # a binary that is not Python: skipped
    (bin_dir / "python3-config").write_text("#!/bin/sh\n")
    env = make_env(tmp_path, [bin_dir], pyenv_root=tmp_path / "nopyenv")
    found = discover(env)
    assert [(i.path, i.version) for i in found] == [(real_binary(version), version)]


def test_relative_path_entries_ignored(tmp_path, monkeypatch):
    version = need("3")
    os.symlink(INSTALLED[version], tmp_path / "python3")
    monkeypatch.chdir(tmp_path)  # "." and "" on PATH would find it: a project could plant one
    env = make_env(tmp_path, ["", ".", "sub"], pyenv_root=tmp_path / "nopyenv")
    assert discover(env) == []


def test_venv_interpreters_skipped(tmp_path):
    version = need("3.8")
    venv = tmp_path / "venv"
    subprocess.run([INSTALLED[version], "-m", "venv", "--copies", "--without-pip", str(venv)], check=True)
    other = tmp_path / "other"
    other.mkdir()
    # A copied venv binary reached through a symlink elsewhere is still a venv binary.
    os.symlink(venv / "bin" / "python3", other / "python3")
    env = make_env(tmp_path, [venv / "bin", other], pyenv_root=tmp_path / "nopyenv")
    assert discover(env) == []


def test_uv_managed_pythons(tmp_path):
    version = need("3")
    major_minor = ".".join(version.split(".")[:2])
    uv = tmp_path / "uv"
    bin_dir = uv / f"cpython-{version}-linux-x86_64-gnu" / "bin"
    bin_dir.mkdir(parents=True)
    os.symlink(INSTALLED[version], bin_dir / f"python{major_minor}")
    (uv / ".lock").write_text("")
    env = make_env(tmp_path, [], pyenv_root=tmp_path / "nopyenv", UV_PYTHON_INSTALL_DIR=str(uv))
    assert [i.version for i in discover(env)] == [version]
    # Without UV_PYTHON_INSTALL_DIR: the XDG data dir.
    env2 = make_env(tmp_path, [], pyenv_root=tmp_path / "nopyenv", XDG_DATA_HOME=str(tmp_path / "data"))
    os.makedirs(tmp_path / "data" / "uv")
    os.symlink(uv, tmp_path / "data" / "uv" / "python")
    assert [i.version for i in discover(env2)] == [version]


# ------------------------------------------------------------------ selection


def test_select_prefix_picks_newest_patch(world):
    env, found = world
    version = need("3.12")
    assert select(req("3.12"), found, env).version == version
    assert select(req("cp312"), found, env).version == version
    assert select(req("cpython@3.12"), found, env).version == version
    assert select(req("python3.12"), found, env).version == version


def test_select_range_picks_newest_match(world):
    env, found = world
    need("3.10")
    newest_311 = need("3.11")
    # /usr/bin/python3.11 may also be a 3.11.x: the newest 3.11 anywhere wins.
    expected = max([i.version for i in found if i.version.startswith("3.11.")], key=_key)
    assert _key(expected) >= _key(newest_311)
    assert select(req(">=3.10,<3.12"), found, env).version == expected


def test_select_major_picks_newest_3x(world):
    env, found = world
    need("3")
    expected = max([i.version for i in found if i.version.startswith("3.") and not i.prerelease], key=_key)
    chosen = select(req("3"), found, env)
    assert chosen.version == expected
    assert not chosen.freethreaded


def test_select_exact(world):
    env, found = world
    version = need("3.9")
    chosen = select(req(version), found, env)
    assert chosen.version == version
    assert chosen.path == real_binary(version)


def test_select_python27(world):
    env, found = world
    version = need("2.7")
    assert select(req("2.7"), found, env).version == version
    assert select(req("2"), found, env).version == version


def test_unknown_version_lists_what_was_found(world):
    env, found = world
    with pytest.raises(VenvdError) as info:
        select(req("3.99"), found, env)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith("no Python matching '3.99' (from /p/.python-version); found: ")
    for version in INSTALLED:
        assert version in msg
    assert "uv python install 3.99" in msg and "pyenv install 3.99" in msg


def test_pypy_and_freethreaded_only_when_asked(world):
    env, found = world
    if any(i.implementation == "pypy" for i in found) or any(i.freethreaded for i in found):
        pytest.skip("a PyPy or free-threaded build is installed")
    with pytest.raises(VenvdError, match="no Python matching 'pypy3.10'"):
        select(req("pypy3.10"), found, env)
    with pytest.raises(VenvdError, match="no Python matching '3.13t'"):
        select(req("3.13t"), found, env)


def test_stable_preferred_over_prerelease():
    stable = Interpreter("/a/python3.13", "3.13.0")
    rc = Interpreter("/b/python3.14", "3.14.0rc1")
    ft = Interpreter("/c/python3.14t", "3.14.1", freethreaded=True)
    pypy = Interpreter("/d/pypy3", "3.14.2", "pypy")
    pool = [stable, rc, ft, pypy]
    env = {"PATH": ""}
    assert rc.prerelease and not stable.prerelease
    assert select(req("3"), pool, env) is stable
    assert select(req(">=3.13"), pool, env) is stable
    assert select(req("3.14"), pool, env) is rc  # nothing stable matches: the pre-release
    assert select(req("3.14.0rc1"), pool, env) is rc
    assert select(req("3.14t"), pool, env) is ft
    assert select(req("pypy3"), pool, env) is pypy
    with pytest.raises(VenvdError):
        select(req("3.14.0"), pool, env)  # exact: the rc is not 3.14.0


def test_equal_versions_first_found_wins():
    a = Interpreter("/a/python3.12", "3.12.1")
    b = Interpreter("/b/python3.12", "3.12.1")
    assert select(req("3.12"), [a, b], {"PATH": ""}) is a
    assert select(req("3.12"), [b, a], {"PATH": ""}) is b


def test_named_dotdot_never_escapes(world, tmp_path):
    env, found = world
    with pytest.raises(VenvdError):
        req("../../../usr")
    # Even a request built by hand (not via parse_request) is refused before touching the disk.
    for name in ("../../../usr", "..", "a/b", ".hidden"):
        hand_made = VersionRequest(name, "test", "named", implementation="", name=name)
        with pytest.raises(VenvdError, match="not a plain name"):
            select(hand_made, found, env)


def test_named_symlink_out_of_versions_dir_refused(tmp_path):
    if not os.path.exists("/usr/bin/python3"):
        pytest.skip("no /usr/bin/python3")
    root = tmp_path / "pyenv"
    (root / "versions").mkdir(parents=True)
    os.symlink("/usr", root / "versions" / "evil")
    env = make_env(tmp_path, [], pyenv_root=root)
    with pytest.raises(VenvdError, match="resolves outside"):
        select(req("evil"), [], env)


def test_named_pyenv_version(world):
    env, found = world
    version = need("3.12")
    hand_made = VersionRequest(version, "test", "named", implementation="", name=version)
    assert select(hand_made, found, env).path == real_binary(version)
    with pytest.raises(VenvdError) as info:
        select(req("nosuchenv"), found, env)
    msg = str(info.value)
    assert "no Python matching 'nosuchenv'" in msg and os.path.join(PYENV_ROOT, "versions") in msg


def test_system_skips_pyenv(world, tmp_path):
    _, found = world
    if not os.path.isfile("/usr/bin/python3"):
        pytest.skip("no /usr/bin/python3")
    version = need("3")
    env = make_env(
        tmp_path,
        [os.path.join(PYENV_ROOT, "shims"), os.path.dirname(INSTALLED[version]), "/usr/bin"],
    )
    assert select(req("system"), found, env).path == os.path.realpath("/usr/bin/python3")
    env["PATH"] = os.path.dirname(INSTALLED[version])
    with pytest.raises(VenvdError, match="no system Python"):
        select(req("system"), found, env)


# ------------------------------------------------------------------ the default (nothing requested)


def test_default_resolves_pyenv_shim_without_running_pyenv(world, tmp_path):
    env, found = world
    version = need("3.10")
    shims = os.path.join(PYENV_ROOT, "shims")
    if not os.path.isfile(os.path.join(shims, "python3")):
        pytest.skip("no pyenv shims")
    env = make_env(tmp_path, [shims, "/usr/bin"], PYENV_VERSION=f"{version}:3.11")
    assert select(None, found, env).version == version
    # Without PYENV_VERSION: the global version file.
    del env["PYENV_VERSION"]
    with open(os.path.join(PYENV_ROOT, "version")) as f:
        global_version = f.read().split()[0]
    if global_version in INSTALLED:
        assert select(None, found, env).version == global_version


def test_default_pyenv_global_from_fake_root(world, tmp_path):
    _, found = world
    root = tmp_path / "pyenv"
    write_script(root / "shims" / "python3", "#!/usr/bin/env bash\nexec pyenv exec python3\n")
    (root / "version").write_text("# comment\n3.99.0\n")  # not installed: newest stable instead
    env = make_env(tmp_path, [root / "shims"], pyenv_root=root)
    newest = max((i for i in found if i.implementation == "cpython" and not i.prerelease), key=Interpreter.sort_key)
    assert select(None, found, env).version == newest.version


def test_default_is_python3_on_path_looking_through_venvs(world, tmp_path):
    env, found = world
    version = need("3.9")
    venv = tmp_path / "venv"
    subprocess.run([INSTALLED[version], "-m", "venv", "--without-pip", str(venv)], check=True)
    other = need("3.12")
    env = make_env(tmp_path, [venv / "bin", os.path.dirname(INSTALLED[other])])
    assert select(None, found, env).version == other


def test_default_script_wrapper_falls_back_to_newest(world, tmp_path):
    env, found = world
    write_script(tmp_path / "wrap" / "python3")
    env = make_env(tmp_path, [tmp_path / "wrap"])
    newest = max((i for i in found if i.implementation == "cpython" and not i.prerelease), key=Interpreter.sort_key)
    assert select(None, found, env) is newest


def test_nothing_found_at_all(tmp_path):
    env = make_env(tmp_path, [], pyenv_root=tmp_path / "nopyenv")
    with pytest.raises(VenvdError, match="no Python found"):
        find_interpreter(None, env)
    with pytest.raises(VenvdError, match="found: none"):
        find_interpreter(req("3.12"), env)


# ------------------------------------------------------------------ cache


def test_second_discover_uses_cache(tmp_path):
    need("3")
    env = make_env(tmp_path, ["/usr/bin"])
    first = discover(env)
    cache = tmp_path / "cache" / CACHE_FILE
    assert cache.is_file()
    mtime = cache.stat().st_mtime_ns
    before = probe.probe_count
    assert discover(env) == first
    assert probe.probe_count == before  # nothing re-run
    assert cache.stat().st_mtime_ns == mtime  # nothing changed, nothing rewritten
    assert find_interpreter(None, env) in first
    assert probe.probe_count == before
    # use_cache=False probes everything again.
    assert discover(env, use_cache=False) == first
    assert probe.probe_count == before + len(first) + _failed_in(cache)


def _failed_in(cache) -> int:
    with open(cache, "rb") as f:
        data = marshal.loads(f.read())
    return sum(1 for _, result in data["bins"].values() if result is None)


def test_cache_survives_path_changes(tmp_path):
    """A venv bin dir added to PATH (what activation does) must not re-probe anything."""
    version = need("3")
    env = make_env(tmp_path, ["/usr/bin"])
    first = discover(env)
    venv_bin = tmp_path / "proj" / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin.parent / "pyvenv.cfg").write_text("home = /usr/bin\n")
    os.symlink(INSTALLED[version], venv_bin / "python3")
    before = probe.probe_count
    env2 = dict(env, PATH=f"{venv_bin}{os.pathsep}{env['PATH']}")
    assert discover(env2) == first
    assert probe.probe_count == before


def test_new_interpreter_in_path_dir_invalidates(tmp_path):
    version = need("3.12")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = make_env(tmp_path, [bin_dir], pyenv_root=tmp_path / "nopyenv")
    assert discover(env) == []
    before = probe.probe_count
    os.symlink(INSTALLED[version], bin_dir / "python3.12")
    found = discover(env)
    assert [(i.path, i.version) for i in found] == [(real_binary(version), version)]
    assert probe.probe_count == before + 1
    assert find_interpreter(req("3.12"), env).version == version
    assert probe.probe_count == before + 1


def test_new_pyenv_version_invalidates(tmp_path):
    version = need("3.11")
    root = tmp_path / "pyenv"
    (root / "versions").mkdir(parents=True)
    env = make_env(tmp_path, [], pyenv_root=root)
    assert discover(env) == []
    (root / "versions" / version / "bin").mkdir(parents=True)
    os.symlink(INSTALLED[version], root / "versions" / version / "bin" / "python")
    assert [i.version for i in discover(env)] == [version]


def test_find_interpreter_rescans_once_when_cache_is_stale(tmp_path):
    version = need("3.12")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = make_env(tmp_path, [bin_dir], pyenv_root=tmp_path / "nopyenv")
    os.symlink(INSTALLED[version], bin_dir / "python3.12")
    assert len(discover(env)) == 1
    # Make the cache lie: the dir's listing is recorded as empty under its current signature
    # (what a symlink switched elsewhere, or a coarse mtime, could leave behind).
    cache = tmp_path / "cache" / CACHE_FILE
    data = marshal.loads(cache.read_bytes())
    sig, _ = data["dirs"][str(bin_dir)]
    data["dirs"][str(bin_dir)] = (sig, [])
    cache.write_bytes(marshal.dumps(data))
    assert discover(env) == []
    before = probe.probe_count
    assert find_interpreter(req("3.12"), env).version == version
    assert probe.probe_count == before  # rescanned the dir; the probe result was still valid


@pytest.mark.parametrize(
    "garbage",
    [b"", b"not marshal at all", marshal.dumps([1, 2, 3]), marshal.dumps({"format": "other"}),
     marshal.dumps({"format": "venvd-interpreters-1", "dirs": {"/x": (1, 2)}, "trees": {}, "bins": {}}),
     marshal.dumps({"format": "venvd-interpreters-1", "dirs": {}, "trees": {}, "bins": {"/x": ((1,), ("3", 1, 2))}})],
)
def test_corrupt_cache_ignored_and_rewritten(tmp_path, garbage):
    version = need("3.12")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(INSTALLED[version], bin_dir / "python3")
    env = make_env(tmp_path, [bin_dir], pyenv_root=tmp_path / "nopyenv")
    cache = tmp_path / "cache" / CACHE_FILE
    cache.parent.mkdir()
    cache.write_bytes(garbage)
    assert [i.version for i in discover(env)] == [version]
    data = marshal.loads(cache.read_bytes())
    assert data["format"] == "venvd-interpreters-1"
    assert not [p for p in os.listdir(cache.parent) if p.endswith(".tmp")]


def test_unwritable_cache_dir_is_not_fatal(tmp_path):
    version = need("3.12")
    blocker = tmp_path / "file"
    blocker.write_text("")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(INSTALLED[version], bin_dir / "python3")
    env = make_env(tmp_path, [bin_dir], pyenv_root=tmp_path / "nopyenv", VENVD_CACHE_DIR=str(blocker / "sub"))
    assert [i.version for i in discover(env)] == [version]


# ------------------------------------------------------------------ small pieces


def test_interpreter_is_immutable():
    interp = Interpreter("/x/python3", "3.12.1")
    with pytest.raises(AttributeError):
        interp.version = "3.11.0"  # type: ignore[misc]
    assert interp == Interpreter("/x/python3", "3.12.1")
    assert interp.label == "3.12.1"
    assert Interpreter("/x", "3.13.0", freethreaded=True).label == "3.13.0t"
    assert Interpreter("/x", "3.10.14", "pypy").label == "pypy3.10.14"
    assert Interpreter("/x", "3.14.0b2").prerelease


@pytest.mark.parametrize(
    "name, ok",
    [("python", True), ("python3", True), ("python3.12", True), ("python3.13t", True), ("pypy3", True),
     ("pypy3.10", True), ("python3-config", False), ("python3.12-config", False), ("python3.12-gdb.py", False),
     ("pythonw", False), ("python3.x", False), ("ipython", False)],
)
def test_python_names(name, ok):
    assert sources._is_python_name(name) is ok


def test_parse_py_list_paths():
    new_style = (
        " -V:3.13 *        C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python313\\python.exe\r\n"
        " -V:3.12          C:\\Program Files\\Python312\\python.exe\r\n"
        " -V:Astral/CPython3.11.9 C:\\Users\\me\\AppData\\Roaming\\uv\\python\\cpython-3.11.9\\python.exe\r\n"
    )
    assert parse_py_list_paths(new_style) == [
        "C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python313\\python.exe",
        "C:\\Program Files\\Python312\\python.exe",
        "C:\\Users\\me\\AppData\\Roaming\\uv\\python\\cpython-3.11.9\\python.exe",
    ]
    old_style = " -3.9-64        C:\\Python39\\python.exe *\n -2.7-32        C:\\Python27\\python.exe\n"
    assert parse_py_list_paths(old_style) == ["C:\\Python39\\python.exe", "C:\\Python27\\python.exe"]
    assert parse_py_list_paths("No Installed Pythons Found!\n") == []
    assert parse_py_list_paths("") == []


def test_import_is_light():
    code = (
        "import sys; import venvd.interpreters\n"
        "heavy = [m for m in ('subprocess', 'platformdirs', 'packaging', 're', 'json', 'typing', 'threading')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code], env={**os.environ, "PYTHONPATH": SRC}, stdout=subprocess.PIPE, check=True
    ).stdout.decode()
    assert out.strip() == ""
