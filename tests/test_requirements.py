"""Requirements files as pip reads them: venvd.sync.requirements."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from venvd.errors import VenvdError
from venvd.sync.requirements import (
    OptionLine,
    RequirementsSet,
    is_pinned,
    parse_requirements,
)
from tests.wheelhouse import build_wheelhouse, find_uv, uv_env


def write(root: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` byte for byte (no newline translation)."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def parse(path: Path, **environ: str) -> RequirementsSet:
    return parse_requirements(str(path), environ)


def texts(rs: RequirementsSet) -> list[str]:
    return [r.text for r in rs.requirements]


# --- logical lines ------------------------------------------------------------------------


def test_continuations_join_and_keep_first_line_number(tmp_path: Path) -> None:
    text = "alpha\\\n>=1.0\n\nbeta==1 \\\n  ; python_version > '3'\ngamma\\"
    req = write(tmp_path, "r.txt", text)
    rs = parse(req)
    assert texts(rs) == ["alpha>=1.0", "beta==1   ; python_version > '3'", "gamma"]
    assert [r.line for r in rs.requirements] == [1, 4, 6]  # trailing `\` at EOF dropped
    assert rs.requirements[1].marker == 'python_version > "3"'


def test_comment_line_ending_in_backslash_does_not_continue(tmp_path: Path) -> None:
    req = write(tmp_path, "r.txt", "# note \\\nalpha\nbeta \\\n# via x\ngamma\n")
    assert texts(parse(req)) == ["alpha", "beta", "gamma"]


def test_comments_versus_url_fragments(tmp_path: Path) -> None:
    req = write(tmp_path, "r.txt", (
        "# full-line comment\n"
        "   # indented comment\n"
        "alpha==1.0  # trailing comment\n"
        "beta @ https://example.org/beta-1.0-py3-none-any.whl#sha256=abc123 # why\n"
        "git+https://example.org/repo.git@main#egg=Gamma_Pkg\n"
        "delta#notacomment\n"
    ))  # fmt: skip
    with pytest.raises(VenvdError, match=r"r\.txt:6: invalid requirement 'delta#notacomment'"):
        parse(req)
    req.write_text(req.read_text().replace("delta#notacomment\n", ""))
    rs = parse(req)
    assert texts(rs) == [
        "alpha==1.0",
        "beta @ https://example.org/beta-1.0-py3-none-any.whl#sha256=abc123",
        "git+https://example.org/repo.git@main#egg=Gamma_Pkg",
    ]
    beta, gamma = rs.requirements[1:]
    assert (beta.name, beta.url) == ("beta", beta.text.split(" @ ")[1])
    assert beta.url.endswith("#sha256=abc123")
    assert (gamma.name, gamma.url) == ("gamma-pkg", gamma.text)


def test_blank_lines_crlf_and_bom(tmp_path: Path) -> None:
    body = "\r\n\r\nalpha==1.0\r\n  \r\n-r more.txt\r\nbeta \\\r\n>=2\r\n"
    write(tmp_path, "more.txt", "\ufeffgamma\r\n")
    rs = parse(write(tmp_path, "r.txt", "\ufeff" + body))
    assert texts(rs) == ["alpha==1.0", "gamma", "beta >=2"]
    assert [r.line for r in rs.requirements] == [3, 1, 6]
    # UTF-16 with its BOM, as Windows editors save it.
    assert texts(parse(write(tmp_path, "u16.txt", "\ufeff" + body, "utf-16-le"))) == texts(rs)


# --- includes -------------------------------------------------------------------------


def test_includes_are_relative_to_the_including_file(tmp_path: Path) -> None:
    top = write(tmp_path, "requirements.txt", "-r reqs/base.txt\n--requirement=reqs/dev.txt\nz\n")
    write(tmp_path, "reqs/base.txt", "-c constraints.txt\nalpha\n--requirement nested/deep.txt\n")
    write(tmp_path, "reqs/constraints.txt", "alpha<2\n")
    write(tmp_path, "reqs/nested/deep.txt", "-r../dev.txt\nbeta\n")
    write(tmp_path, "reqs/dev.txt", "gamma\n")
    rs = parse(top)
    assert rs.files == [str(tmp_path / p) for p in (
        "requirements.txt", "reqs/base.txt", "reqs/constraints.txt", "reqs/nested/deep.txt",
        "reqs/dev.txt",
    )]  # fmt: skip
    # dev.txt is reached twice (a diamond, not a cycle): pip reads it twice, it's listed once.
    assert [(r.text, r.constraint) for r in rs.requirements] == [
        ("alpha<2", True), ("alpha", False), ("gamma", False), ("beta", False),
        ("gamma", False), ("z", False),
    ]  # fmt: skip
    assert [Path(r.file).name for r in rs.requirements][:2] == ["constraints.txt", "base.txt"]


@pytest.mark.parametrize("chain", [["a.txt", "b.txt"], ["a.txt", "sub/b.txt", "c.txt"], ["a.txt"]])
def test_include_cycles_are_errors(tmp_path: Path, chain: list[str]) -> None:
    for here, there in zip(chain, chain[1:] + chain[:1]):
        rel = os.path.relpath(tmp_path / there, (tmp_path / here).parent)
        write(tmp_path, here, f"alpha\n-r {rel}\n")
    with pytest.raises(VenvdError) as err:
        parse(tmp_path / "a.txt")
    assert " -> ".join([*chain, chain[0]]) in str(err.value)


def test_missing_include_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "alpha\n-r sub/b.txt\n")
    write(tmp_path, "sub/b.txt", "# header\n\n-c nope.txt\n")
    with pytest.raises(VenvdError, match=r"sub/b\.txt:3: included file not found: nope\.txt"):
        parse(tmp_path / "a.txt")
    with pytest.raises(VenvdError, match="not found"):
        parse(tmp_path / "absent.txt")


def test_url_include_is_recorded_not_fetched(tmp_path: Path) -> None:
    write(tmp_path, "local.txt", "beta\n")
    rs = parse(write(tmp_path, "a.txt", (
        f"-r https://example.invalid/reqs.txt\n-c {(tmp_path / 'local.txt').as_uri()}\nalpha\n"
    )))  # fmt: skip
    assert rs.urls == ["https://example.invalid/reqs.txt"]
    assert rs.files == [str(tmp_path / "a.txt"), str(tmp_path / "local.txt")]


# --- variables ------------------------------------------------------------------------


def test_variables_are_collected_and_expanded_in_include_paths(tmp_path: Path) -> None:
    write(tmp_path, "envs/prod.txt", "alpha==${ALPHA_VERSION}\n")
    top = write(tmp_path, "a.txt", (
        "-r envs/${STAGE}.txt\n"
        "beta @ https://${HOST}/beta-1.0-py3-none-any.whl\n"
        "gamma; sys_platform != '$NOT_A_VAR' and os_name != '${lower_is_not_a_var}'\n"
        "# ${IN_A_COMMENT}\n"
    ))  # fmt: skip
    rs = parse(top, STAGE="prod", ALPHA_VERSION="1.0", HOST="h.example")
    assert rs.variables == ["ALPHA_VERSION", "HOST", "STAGE"]
    assert texts(rs)[:2] == ["alpha==1.0", "beta @ https://h.example/beta-1.0-py3-none-any.whl"]
    assert "$NOT_A_VAR" in texts(rs)[2] and "${lower_is_not_a_var}" in texts(rs)[2]
    # As pip: an unset or empty variable stays as written (here: not a valid version).
    with pytest.raises(VenvdError, match=r"envs/prod\.txt:1: .*alpha==\$\{ALPHA_VERSION\}"):
        parse(top, STAGE="prod", ALPHA_VERSION="", HOST="h")
    with pytest.raises(VenvdError, match=r"a\.txt:1: included file not found: envs/\$\{STAGE\}"):
        parse(top)


def test_environ_defaults_to_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "x.txt", "alpha\n")
    monkeypatch.setenv("VENVD_TEST_INCLUDE", "x")
    rs = parse_requirements(str(write(tmp_path, "a.txt", "-r ${VENVD_TEST_INCLUDE}.txt\n")))
    assert rs.files[1] == str(tmp_path / "x.txt")


# --- options, hashes, editables, markers ----------------------------------------------


def test_option_lines(tmp_path: Path) -> None:
    rs = parse(write(tmp_path, "a.txt", (
        "-i https://pypi.example/simple\n"
        "--extra-index-url=https://extra.example/simple\n"
        "-f ./wheels\n--find-links https://links.example\n"
        "--no-index\n--pre\n--prefer-binary\n--only-binary :all:\n--no-binary=alpha\n"
        "--trusted-host pypi.example\n--use-feature=truststore\n--require-hashes\n"
        "alpha\n"
    )))  # fmt: skip
    assert [(o.option, o.value) for o in rs.options] == [
        ("--index-url", "https://pypi.example/simple"),
        ("--extra-index-url", "https://extra.example/simple"),
        ("--find-links", "./wheels"),
        ("--find-links", "https://links.example"),
        ("--no-index", None), ("--pre", None), ("--prefer-binary", None),
        ("--only-binary", ":all:"), ("--no-binary", "alpha"),
        ("--trusted-host", "pypi.example"), ("--use-feature", "truststore"),
        ("--require-hashes", None),
    ]  # fmt: skip
    assert rs.options[0] == OptionLine(option="--index-url", value="https://pypi.example/simple",
                                       file=str(tmp_path / "a.txt"), line=1)  # fmt: skip
    assert texts(rs) == ["alpha"]


@pytest.mark.parametrize(
    "line", ["--bogus", "--no-index=yes", "-i", "-x foo", "alpha --hash=md5:00", "--re x.txt"]
)
def test_bad_options_are_errors(tmp_path: Path, line: str) -> None:
    with pytest.raises(VenvdError, match=r"a\.txt:2: "):
        parse(write(tmp_path, "a.txt", f"beta\n{line}\n"))


def test_hashes_stay_with_their_requirement(tmp_path: Path) -> None:
    rs = parse(write(tmp_path, "a.txt", (
        "alpha==1.0 \\\n    --hash=sha256:aaa \\\n    --hash sha256:bbb\n"
        "beta==2.0 --hash=sha512:ccc ; python_version >= '3.9'\n"
    )))  # fmt: skip
    alpha, beta = rs.requirements
    assert (alpha.text, alpha.hashes) == ("alpha==1.0", ("sha256:aaa", "sha256:bbb"))
    assert beta.hashes == ("sha512:ccc",)
    assert rs.options == []


def test_editables_and_markers(tmp_path: Path) -> None:
    rs = parse(write(tmp_path, "a.txt", (
        "-e .\n--editable ./pkg[fast,dev]\n-e git+https://example.org/r.git#egg=tool\n"
        'alpha[x]>=1; python_version < "3.10" and sys_platform == "linux"\n'
        "./wheels/venvd_demo_delta-1.0-py3-none-any.whl\n"
    )))  # fmt: skip
    e1, e2, e3, alpha, delta = rs.requirements
    assert [(e.editable, e.url, e.extras, e.name) for e in (e1, e2, e3)] == [
        (True, ".", (), None),
        (True, "./pkg", ("dev", "fast"), None),
        (True, "git+https://example.org/r.git#egg=tool", (), "tool"),
    ]
    assert (alpha.name, alpha.specifier, alpha.extras) == ("alpha", ">=1", ("x",))
    assert not alpha.editable
    assert alpha.marker == 'python_version < "3.10" and sys_platform == "linux"'
    assert (delta.name, delta.specifier, delta.url) == (
        "venvd-demo-delta", "==1.0", "./wheels/venvd_demo_delta-1.0-py3-none-any.whl")


def test_invalid_requirement_names_file_line_and_text(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "-r sub/b.txt\n")
    write(tmp_path, "sub/b.txt", "alpha\n\nbeta = 1.0\n")
    with pytest.raises(VenvdError, match=r"sub/b\.txt:3: invalid requirement 'beta = 1\.0'"):
        parse(tmp_path / "a.txt")


# --- is_pinned ------------------------------------------------------------------------


UV_COMPILED = """\
# This file was autogenerated by uv via the following command:
#    uv pip compile requirements.in -o requirements.txt
-e .
    # via -r requirements.in
--index-url https://pypi.org/simple

venvd-demo-alpha==2.0
    # via venvd-demo-beta
venvd-demo-beta==1.1 \\
    --hash=sha256:e9810eb9758059e80e69bc52f2586f5078969dbebc5ccf359b0dd23fe04af922
    # via -r requirements.in
tomli==2.0.1 ; python_full_version < '3.11'
    # via venvd-demo-beta
venvd-demo-delta @ https://files.example/venvd_demo_delta-1.0-py3-none-any.whl
tool @ git+https://github.com/org/tool@0123456789abcdef0123456789abcdef01234567
legacy===1.0-custom
"""


def test_compiled_output_is_pinned(tmp_path: Path) -> None:
    write(tmp_path, "constraints.txt", "anything>=1\n")
    req = write(tmp_path, "requirements.txt", UV_COMPILED + "-c constraints.txt\n")
    assert is_pinned(parse(req))


def test_editable_project_is_relative_to_the_installer_cwd(tmp_path: Path) -> None:
    # pip and uv resolve `-e .` against their working directory, not the file's.
    rs = parse(write(tmp_path, "reqs/lock.txt", UV_COMPILED))
    assert is_pinned(rs, project_dir=str(tmp_path))
    rs = parse(write(tmp_path, "reqs/abs.txt", f"-e {tmp_path.as_uri()}\nalpha==1\n"))
    assert is_pinned(rs, project_dir=str(tmp_path))
    assert not is_pinned(rs, project_dir=str(tmp_path / "reqs"))


@pytest.mark.parametrize("extra", [
    "alpha>=1.0", "alpha==1.*", "alpha", "alpha==1.0,<2", "-e ./pkg", "./pkg",
    "beta @ https://example.org/beta-1.0.tar.gz", "tool @ git+https://github.com/org/tool@main",
])  # fmt: skip
def test_loose_requirements_are_not_pinned(tmp_path: Path, extra: str) -> None:
    assert not is_pinned(parse(write(tmp_path, "r.txt", UV_COMPILED + extra + "\n")))


def test_only_constraints_or_nothing_is_not_pinned(tmp_path: Path) -> None:
    write(tmp_path, "c.txt", "alpha==1.0\n")
    assert not is_pinned(parse(write(tmp_path, "r.txt", "-c c.txt\n# nothing\n")))


def test_module_imports_only_os(tmp_path: Path) -> None:
    code = (
        "import os, sys; before = set(sys.modules); import venvd.sync.requirements; "
        "print(sorted(m for m in set(sys.modules) - before if not m.startswith('venvd')))"
    )  # `from __future__ import annotations` imports __future__ (tiny, and unavoidable)
    src = str(Path(__file__).resolve().parent.parent / "src")
    out = subprocess.run([sys.executable, "-S", "-c", code], env={"PYTHONPATH": src},
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert out.strip() in ("[]", "['__future__']")


# --- against real pip -----------------------------------------------------------------


@pytest.fixture(scope="module")
def wheelhouse_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


def pip_names(req: Path, wheelhouse: Path, **environ: str) -> set[str]:
    """Names pip resolves for ``-r req`` (dry run, offline, from the wheelhouse)."""
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
           "--no-index", "--find-links", str(wheelhouse), "--no-cache-dir", "--quiet",
           "--disable-pip-version-check", "--report", "-", "-r", str(req)]  # fmt: skip
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, **environ)
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=req.parent, env=env)
    assert r.returncode == 0, r.stderr
    return {item["metadata"]["name"] for item in json.loads(r.stdout)["install"]}


def our_names(rs: RequirementsSet) -> set[str]:
    from packaging.markers import Marker

    return {r.name for r in rs.requirements if r.name and not r.constraint
            and (r.marker is None or Marker(r.marker).evaluate())}  # fmt: skip


@pytest.mark.slow
def test_matches_pip_on_real_uv_compile_output(tmp_path: Path, wheelhouse_dir: Path) -> None:
    write(tmp_path, "requirements.in", "venvd-demo-beta\nvenvd-demo-gamma[fast]\n")
    out = subprocess.run(
        [find_uv(), "pip", "compile", "--offline", "--no-index", "--find-links",
         str(wheelhouse_dir), "--generate-hashes", "requirements.in", "-o", "requirements.txt"],
        cwd=tmp_path, env=uv_env(tmp_path / "cache"), capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    req = tmp_path / "requirements.txt"
    assert "# via" in req.read_text() and "--hash=sha256:" in req.read_text()
    req.write_bytes(b"\xef\xbb\xbf" + req.read_bytes().replace(b"\n", b"\r\n"))  # BOM + CRLF
    rs = parse(req)
    assert is_pinned(rs)
    assert all(len(r.hashes) == 1 for r in rs.requirements)
    assert our_names(rs) == pip_names(req, wheelhouse_dir) == {
        "venvd-demo-alpha", "venvd-demo-beta", "venvd-demo-gamma", "venvd-demo-delta"}


@pytest.mark.slow
def test_matches_pip_on_includes_variables_and_comments(tmp_path: Path,
                                                        wheelhouse_dir: Path) -> None:  # fmt: skip
    delta = wheelhouse_dir / "venvd_demo_delta-1.0-py3-none-any.whl"
    write(tmp_path, "reqs/constraints.txt", "venvd-demo-alpha<2  # keep below 2\n")
    write(tmp_path, "reqs/prod.txt", "-c constraints.txt\nvenvd-demo-alpha\\\n")
    req = write(tmp_path, "requirements.txt", (
        "# comment ending in a backslash \\\n"
        "venvd-demo-beta==1.0 \\\n"
        "    ; python_version >= '3'  # trailing\n"
        "-r reqs/${STAGE}.txt\n"
        f"venvd-demo-delta @ {delta.as_uri()}#egg=ignored # a comment, the fragment is not\n"
        "venvd-demo-gamma; python_version < '3'\n"
    ))  # fmt: skip
    rs = parse(req, STAGE="prod")
    assert rs.variables == ["STAGE"]
    assert not is_pinned(rs)
    assert our_names(rs) == pip_names(req, wheelhouse_dir, STAGE="prod") == {
        "venvd-demo-alpha", "venvd-demo-beta", "venvd-demo-delta"}
