from __future__ import annotations

import os
import subprocess
import sys

import pytest

from venvd.errors import VenvdError
from venvd.pep440 import split_version, version_sort_key
from venvd.versionfile import read_version_file
from venvd.versionrequest import VersionRequest, parse_request

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


# ------------------------------------------------------------------ parse_request: accepted forms


@pytest.mark.parametrize(
    "text, kind, implementation, release, pre, freethreaded",
    [
        ("3", "version", "cpython", (3,), "", False),
        ("3.12", "version", "cpython", (3, 12), "", False),
        ("3.12.3", "version", "cpython", (3, 12, 3), "", False),
        ("  3.12.3 \r", "version", "cpython", (3, 12, 3), "", False),
        ("3.12.*", "version", "cpython", (3, 12), "", False),
        ("3.13.0rc1", "version", "cpython", (3, 13, 0), "rc1", False),
        ("3.14.0a2", "version", "cpython", (3, 14, 0), "a2", False),
        ("3.14.0b1", "version", "cpython", (3, 14, 0), "b1", False),
        ("3.13t", "version", "cpython", (3, 13), "", True),
        ("3.13.0t", "version", "cpython", (3, 13, 0), "", True),
        ("3.13+freethreaded", "version", "cpython", (3, 13), "", True),
        ("cpython@3.12", "version", "cpython", (3, 12), "", False),
        ("cpython-3.12", "version", "cpython", (3, 12), "", False),
        ("cpython3.12", "version", "cpython", (3, 12), "", False),
        ("CPython@3.12", "version", "cpython", (3, 12), "", False),
        ("cp312", "version", "cpython", (3, 12), "", False),
        ("cp38", "version", "cpython", (3, 8), "", False),
        ("cp3", "version", "cpython", (3,), "", False),
        ("cp3.12", "version", "cpython", (3, 12), "", False),
        ("cp313t", "version", "cpython", (3, 13), "", True),
        ("python-3.12", "version", "cpython", (3, 12), "", False),
        ("python3.12", "version", "cpython", (3, 12), "", False),
        ("python@3.12", "version", "cpython", (3, 12), "", False),
        ("python3", "version", "cpython", (3,), "", False),
        ("pypy3.10", "version", "pypy", (3, 10), "", False),
        ("pypy@3.10", "version", "pypy", (3, 10), "", False),
        ("pypy-3.10", "version", "pypy", (3, 10), "", False),
        ("pypy3", "version", "pypy", (3,), "", False),
        ("pypy", "version", "pypy", (), "", False),
        ("graalpy@3.11", "version", "graalpy", (3, 11), "", False),
        ("2.7", "version", "cpython", (2, 7), "", False),
    ],
)
def test_version_forms(text, kind, implementation, release, pre, freethreaded):
    req = parse_request(text, "/p/.python-version")
    assert (req.kind, req.implementation, req.release, req.pre, req.freethreaded) == (
        kind,
        implementation,
        release,
        pre,
        freethreaded,
    )
    assert req.raw == text.strip()
    assert req.source == "/p/.python-version"


@pytest.mark.parametrize("text", [">=3.11,<3.13", "==3.12.*", "~=3.11", ">=3.11, <3.13", "!=3.12.0,>=3.12", "<3.13"])
def test_ranges(text):
    req = parse_request(text, "requires-python")
    assert req.kind == "range"
    assert req.raw == text
    assert req.source == "requires-python"


@pytest.mark.parametrize("text", ["system", "System"])
def test_system(text):
    assert parse_request(text, "x").kind == "system"


@pytest.mark.parametrize(
    "text", ["myenv", "miniconda3-latest", "anaconda3-2023.03", "3.12-dev", "pypy3.10-7.3.12", "my_env+1", "cpu-env"]
)
def test_pyenv_names(text):
    req = parse_request(text, "x")
    assert req.kind == "named"
    assert req.name == text
    assert not req.matches("3.12.1")


# ------------------------------------------------------------------ parse_request: refused


@pytest.mark.parametrize(
    "text",
    [
        "hello world",
        "3.x",
        "python3.x",
        "cp3x",
        ">=banana",
        ">3.x",
        "3.12.1.5",
        "3.",
        ".3",
        "3..12",
        "3.12rc",
        "3rc1",
        "cpython@>=3.12",
        ",",
        "3.12 3.11",
        "-rf",
        "a\x00b",
        "caf\u00e9",
    ],
)
def test_garbage(text):
    with pytest.raises(VenvdError) as info:
        parse_request(text, "/p/.python-version")
    msg = str(info.value)
    assert "\n" not in msg
    assert repr(text) in msg  # what was found
    assert "/p/.python-version" in msg  # where
    assert "3.12" in msg and "system" in msg  # what is accepted


@pytest.mark.parametrize("text", ["", "   ", "\t"])
def test_empty(text):
    with pytest.raises(VenvdError, match="empty Python version in src"):
        parse_request(text, "src")


@pytest.mark.parametrize(
    "text", ["../../etc", "..", "../3.12", "a/b", "/usr", "a\\b", "C:\\Python312", ".hidden", "x..y", "3.12/../../x"]
)
def test_path_like_names_rejected(text):
    with pytest.raises(VenvdError) as info:
        parse_request(text, "/p/.python-version")
    msg = str(info.value)
    assert "\n" not in msg
    assert "/p/.python-version" in msg


def test_long_garbage_is_shortened():
    with pytest.raises(VenvdError) as info:
        parse_request("x y" * 200, "src")
    assert len(str(info.value)) < 400


# ------------------------------------------------------------------ matches()


@pytest.mark.parametrize(
    "request_text, version, implementation, freethreaded, expected",
    [
        ("3", "3.12.1", "cpython", False, True),
        ("3", "2.7.18", "cpython", False, False),
        ("3.12", "3.12.1", "cpython", False, True),
        ("3.12", "3.13.0", "cpython", False, False),
        ("3.1", "3.12.1", "cpython", False, False),  # components, not string prefixes
        ("3.12", "3.12.0rc1", "cpython", False, True),  # prefix covers pre-releases
        ("3.12.1", "3.12.1", "cpython", False, True),
        ("3.12.1", "3.12.10", "cpython", False, False),
        ("3.13.0", "3.13.0rc1", "cpython", False, False),  # 3.13.0 is not its rc
        ("3.13.0rc1", "3.13.0rc1", "cpython", False, True),
        ("3.13.0rc1", "3.13.0rc2", "cpython", False, False),
        ("3.13.0rc1", "3.13.0", "cpython", False, False),
        ("3.12", "3.12.1", "pypy", False, False),  # PyPy only when asked
        ("pypy3.10", "3.10.14", "pypy", False, True),
        ("pypy3.10", "3.10.14", "cpython", False, False),
        ("pypy", "3.9.1", "pypy", False, True),
        ("3.13", "3.13.0", "cpython", True, False),  # free-threaded only when asked
        ("3.13t", "3.13.0", "cpython", True, True),
        ("3.13t", "3.13.0", "cpython", False, False),
        ("cp312", "3.12.7", "cpython", False, True),
        (">=3.11,<3.13", "3.12.1", "cpython", False, True),
        (">=3.11,<3.13", "3.13.0", "cpython", False, False),
        (">=3.11,<3.13", "3.10.13", "cpython", False, False),
        ("<3.13", "3.13.0rc1", "cpython", False, False),  # PEP 440: not a pre-release of the bound
        (">=3.12", "3.14.0a1", "cpython", False, True),
        ("==3.12.*", "3.12.9", "cpython", False, True),
        ("~=3.11", "3.12.1", "cpython", False, True),
        ("~=3.11", "4.0.0", "cpython", False, False),
        (">=3.11", "3.12.1", "pypy", False, False),
        (">=3.11", "not-a-version", "cpython", False, False),
        ("3.12", "garbage", "cpython", False, False),
        ("system", "3.12.1", "cpython", False, False),
    ],
)
def test_matches(request_text, version, implementation, freethreaded, expected):
    assert parse_request(request_text, "x").matches(version, implementation, freethreaded) is expected


def test_matches_defaults_to_cpython_gil_build():
    assert parse_request("3.12", "x").matches("3.12.1")
    assert not parse_request("3.13t", "x").matches("3.13.0")


def test_allows_prereleases_and_exact():
    assert parse_request("3.13.0rc1", "x").allows_prereleases
    assert not parse_request("3.13", "x").allows_prereleases
    assert parse_request(">=3.14.0a1", "x").allows_prereleases
    assert not parse_request(">=3.11", "x").allows_prereleases
    assert parse_request("3.12.1", "x").is_exact
    assert not parse_request("3.12", "x").is_exact


@pytest.mark.parametrize(
    "text, canonical", [("cp312", "3.12"), ("cpython@3.12", "3.12"), ("pypy@3.10", "pypy3.10"), ("3.13t", "3.13t")]
)
def test_canonical(text, canonical):
    assert parse_request(text, "x").canonical == canonical


def test_request_is_immutable_and_comparable():
    req = parse_request("3.12", "x")
    with pytest.raises(AttributeError):
        req.raw = "3.11"  # type: ignore[misc]
    assert req == parse_request("3.12", "x")
    assert req != parse_request("3.12", "y")
    assert len({req, parse_request("3.12", "x")}) == 1
    assert isinstance(req, VersionRequest)


def test_split_version_and_sort_key():
    assert split_version("3.13.0rc1") == ((3, 13, 0), "rc1")
    assert split_version("3") == ((3,), "")
    assert split_version("3.x") is None
    ordered = ["2.7.18", "3.13.0a1", "3.13.0b2", "3.13.0rc1", "3.13.0", "3.13.1", "3.100.0"]
    assert sorted(reversed(ordered), key=version_sort_key) == ordered


# ------------------------------------------------------------------ read_version_file


def write(path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def test_no_file(tmp_path):
    assert read_version_file(str(tmp_path)) is None
    assert read_version_file(str(tmp_path / "missing")) is None


def test_simple_file(tmp_path):
    write(tmp_path / ".python-version", b"3.12\n")
    req = read_version_file(str(tmp_path))
    assert req is not None
    assert (req.raw, req.release) == ("3.12", (3, 12))
    assert req.source == str(tmp_path / ".python-version")


def test_comments_blank_lines_crlf_bom(tmp_path):
    content = b"\xef\xbb\xbf# pinned for CI\r\n\r\n   \r\n  # another\r\n  3.11.7  \r\n3.10\r\n"
    write(tmp_path / ".python-version", content)
    req = read_version_file(str(tmp_path))
    assert req is not None and req.raw == "3.11.7" and req.release == (3, 11, 7)


def test_bom_before_version(tmp_path):
    write(tmp_path / ".python-version", b"\xef\xbb\xbf3.12")
    req = read_version_file(str(tmp_path))
    assert req is not None and req.raw == "3.12"


def test_old_mac_line_endings(tmp_path):
    write(tmp_path / ".python-version", b"# c\r3.9\r")
    req = read_version_file(str(tmp_path))
    assert req is not None and req.raw == "3.9"


@pytest.mark.parametrize("content", [b"", b"\n\n", b"# only a comment\n", b"\xef\xbb\xbf", b"  \r\n# x\r\n"])
def test_empty_or_comments_only(tmp_path, content):
    write(tmp_path / ".python-version", content)
    assert read_version_file(str(tmp_path)) is None


def test_python_versions_plural(tmp_path):
    write(tmp_path / ".python-versions", b"3.13\n3.12\n")
    req = read_version_file(str(tmp_path))
    assert req is not None and req.raw == "3.13"
    assert req.source == str(tmp_path / ".python-versions")


def test_singular_wins_over_plural(tmp_path):
    write(tmp_path / ".python-version", b"3.11\n")
    write(tmp_path / ".python-versions", b"3.13\n")
    req = read_version_file(str(tmp_path))
    assert req is not None and req.raw == "3.11"


def test_empty_singular_falls_through_to_plural(tmp_path):
    write(tmp_path / ".python-version", b"# nothing\n")
    write(tmp_path / ".python-versions", b"pypy3.10\n")
    req = read_version_file(str(tmp_path))
    assert req is not None and req.implementation == "pypy"


def test_garbage_in_file_names_the_file(tmp_path):
    write(tmp_path / ".python-version", b"# hi\nhello world\n")
    with pytest.raises(VenvdError) as info:
        read_version_file(str(tmp_path))
    msg = str(info.value)
    assert "'hello world'" in msg and str(tmp_path / ".python-version") in msg and "\n" not in msg


def test_dotdot_in_file_rejected(tmp_path):
    write(tmp_path / ".python-version", b"../../../usr\n")
    with pytest.raises(VenvdError, match=r"may not contain"):
        read_version_file(str(tmp_path))


def test_not_utf8(tmp_path):
    write(tmp_path / ".python-version", b"3.12 \xff\xfe\n")
    with pytest.raises(VenvdError) as info:
        read_version_file(str(tmp_path))
    msg = str(info.value)
    assert "UTF-8" in msg and str(tmp_path / ".python-version") in msg and "\n" not in msg


def test_unreadable(tmp_path):
    (tmp_path / ".python-version").mkdir()  # reading a directory fails on every OS
    with pytest.raises(VenvdError) as info:
        read_version_file(str(tmp_path))
    assert str(tmp_path / ".python-version") in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_permissions(tmp_path):
    path = tmp_path / ".python-version"
    write(path, b"3.12\n")
    path.chmod(0)
    with pytest.raises(VenvdError, match="cannot read"):
        read_version_file(str(tmp_path))


# ------------------------------------------------------------------ import cost


def test_simple_forms_import_nothing_heavy():
    code = (
        "import sys; from venvd.versionfile import read_version_file, parse_request\n"
        "for t in ['3.12', 'cp312', 'pypy3.10', '3.13t', 'system', 'myenv', 'cpython@3.12.1']:\n"
        "    parse_request(t, 'x').matches('3.12.1')\n"
        "bad = [m for m in ('packaging', 're', 'dataclasses', 'typing', 'inspect') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code],  # -S: no site hooks that might import re themselves
        env={**os.environ, "PYTHONPATH": SRC},
        stdout=subprocess.PIPE,
        check=True,
    ).stdout.decode()
    assert out.strip() == ""


def test_ranges_import_packaging_only_when_needed():
    code = (
        "import sys; from venvd.versionfile import parse_request\n"
        "r = parse_request('>=3.9, <3.13', 'x')\n"
        "assert r.matches('3.12.1') and not r.matches('3.13.0')\n"
        "assert 'packaging' not in sys.modules, 'plain ranges are evaluated by hand'\n"
        "r = parse_request('>=3.9.post1', 'x')\n"
        "assert 'packaging.specifiers' in sys.modules\n"
        "assert r.matches('3.12.1') and not r.matches('3.9.1', 'pypy')\n"
    )
    subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": SRC}, check=True)


@pytest.mark.parametrize("text", [">=1!3.0", "===3.12.1", ">=3.12.post1", ">=3.13.0.dev1", "==3.12.1+local"])
def test_fancy_ranges_go_to_packaging(text):
    pytest.importorskip("packaging")
    req = parse_request(text, "x")
    assert req.kind == "range"
    assert isinstance(req.matches("3.12.1"), bool)


def test_hand_evaluated_ranges_agree_with_packaging():
    specifiers = pytest.importorskip("packaging.specifiers")
    versions = ["2.7.18", "3.0.0", "3.9.0", "3.10.0a1", "3.10.0", "3.11.0b2", "3.11.0rc1", "3.11.0", "3.11.2",
                "3.12.0rc1", "3.12.0", "3.12.1", "3.13.0a1", "3.13.0", "4.0.0"]
    bases = ["3", "3.9", "3.11", "3.11.0", "3.11.2", "3.12", "3.12.0rc1", "3.13", "3.13.0a1", "3.11rc1", "4", "2.7"]
    clauses = []
    for op in ("==", "!=", ">=", "<=", "<", ">", "~="):
        for base in bases:
            clauses.append(op + base)
            if op in ("==", "!="):
                clauses.append(op + base + ".*")
    texts = clauses + [a + "," + b for a, b in zip(clauses, reversed(clauses))]
    checked = 0
    for text in texts:
        try:
            reference = specifiers.SpecifierSet(text)
        except specifiers.InvalidSpecifier:
            with pytest.raises(VenvdError):
                parse_request(text, "x")
            continue
        req = parse_request(text, "x")
        assert req._clauses is not None, text  # evaluated by hand
        assert req.allows_prereleases == bool(reference.prereleases), text
        for version in versions:
            assert req.matches(version) == reference.contains(version, prereleases=True), (text, version)
            checked += 1
    assert checked > 1000
