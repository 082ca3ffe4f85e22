"""The sync engine's pieces without installers: input priority, fingerprint, progress."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from venvd.config import Config
from venvd.errors import VenvdError
from venvd.project import find_project
from venvd.sync.fingerprint import compute, context_key, memo_path, presence, quick, save_memo
from venvd.sync.inputs import detect
from venvd.sync.progress import Runner, meaningful
from venvd.watch import Watch


def config(**tool: object) -> Config:
    return Config(dict(tool), None, None, [])


def plan_for(root: Path, **tool: object):  # noqa: ANN201
    project = find_project(str(root), home="/nonexistent")
    assert project is not None
    return detect(project, config(**tool), {}, Watch())


@pytest.mark.parametrize("present, kind", [
    (["uv.lock", "pylock.toml", "poetry.lock", "requirements.txt", "pyproject.toml"], "uv.lock"),
    (["pylock.toml", "poetry.lock", "Pipfile.lock", "requirements.txt"], "pylock"),
    (["pylock.dev.toml", "poetry.lock"], "pylock"),
    (["poetry.lock", "Pipfile.lock", "requirements.txt"], "poetry"),
    (["Pipfile.lock", "requirements.txt"], "pipenv"),
    (["requirements.txt", "pyproject.toml"], "requirements"),
    (["pyproject.toml"], "pyproject"),
])
def test_inputs_are_taken_by_priority(tmp_path: Path, present: list[str], kind: str) -> None:
    (tmp_path / ".python-version").write_text("3.12\n")
    for name in present:
        text = '[project]\nname = "x"\ndependencies = ["a"]\n' if name == "pyproject.toml" else "a==1\n"
        (tmp_path / name).write_text(text)
    assert plan_for(tmp_path).kind == kind


def test_configured_requirements_win_and_must_exist(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text("")
    (tmp_path / "requirements-dev.txt").write_text("a==1\nb==2\n")
    plan = plan_for(tmp_path, requirements=["requirements-dev.txt"])
    assert plan.kind == "requirements" and plan.exact
    with pytest.raises(VenvdError, match="does not exist"):
        plan_for(tmp_path, requirements=["missing.txt"])
    with pytest.raises(VenvdError, match="mixes"):
        plan_for(tmp_path, requirements=["requirements-dev.txt", "uv.lock"])


def test_nothing_to_install(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    assert plan_for(tmp_path) is None


def test_unknown_group_or_extra_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[dependency-groups]\ndev = ["a"]\n')
    with pytest.raises(VenvdError, match="'docs' is not in"):
        plan_for(tmp_path, groups=["docs"])
    with pytest.raises(VenvdError, match="extras names 'fast'"):
        plan_for(tmp_path, extras=["fast"])


def _fingerprint(root: Path, venv: Path, environ: dict[str, str]) -> tuple[str, str]:
    project = find_project(str(root), home="/nonexistent")
    ctx = context_key(config(), str(venv), environ)
    names = presence(str(root))
    plan = detect(project, config(), environ, Watch())
    fp, memo = compute(plan, str(root), ctx, environ, names)
    save_memo(str(venv), memo)
    return fp, ctx


def test_the_memo_proves_unchanged_inputs_without_reading_them(tmp_path: Path) -> None:
    root, venv = tmp_path / "p", tmp_path / "p" / ".venv"
    (root / "inc").mkdir(parents=True)
    (root / "requirements.txt").write_text("-r inc/more.txt\na==1\n")
    (root / "inc" / "more.txt").write_text("--extra-index-url https://me:${TOKEN}@example.org/simple\nb==1\n")
    env = {"TOKEN": "s3cret-value"}
    fp, ctx = _fingerprint(root, venv, env)
    watch = Watch()
    assert quick(str(venv), str(root), ctx, env, watch) == fp
    assert str(root / "inc" / "more.txt") in watch.paths and str(root / "inc") in watch.paths
    assert b"s3cret-value" not in Path(memo_path(str(venv))).read_bytes(), "a variable's value is only a digest"
    # A referenced variable's value, an included file, a new lockfile: each is noticed.
    assert quick(str(venv), str(root), ctx, {"TOKEN": "other"}, Watch()) is None
    (root / "inc" / "more.txt").write_text("b==2\n")
    assert quick(str(venv), str(root), ctx, env, Watch()) is None
    fp2, _ = _fingerprint(root, venv, env)
    assert fp2 != fp and quick(str(venv), str(root), ctx, env, Watch()) == fp2
    (root / "uv.lock").write_text("")
    assert quick(str(venv), str(root), ctx, env, Watch()) is None
    # Another context (installer, mode, interpreter…) is another fingerprint.
    assert quick(str(venv), str(root), ctx + "x", env, Watch()) is None


def test_same_bytes_give_the_same_fingerprint(tmp_path: Path) -> None:
    root, venv = tmp_path / "p", tmp_path / "p" / ".venv"
    root.mkdir()
    (root / "requirements.txt").write_text("a==1\n")
    fp, _ = _fingerprint(root, venv, {})
    os.unlink(memo_path(str(venv)))
    (root / "requirements.txt").write_text("a==1\n")  # rewritten, same bytes
    assert _fingerprint(root, venv, {})[0] == fp


def test_progress_on_a_terminal_and_the_output_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    runner = Runner("uv", tty=True)
    code = "import time; print('Resolved 3 packages', flush=True); time.sleep(0.4); print(' + alpha==1.1')"
    lines = runner([sys.executable, "-c", code], what="uv pip sync")
    runner.clear()
    assert lines == ["Resolved 3 packages", " + alpha==1.1"]
    shown = err.getvalue()
    assert "\r\x1b[K" in shown and "venvd: uv: Resolved 3 packages (0." in shown
    assert shown.endswith("\r\x1b[K"), "the status line is cleared before the summary"


def test_meaningful_error_lines() -> None:
    uv = ["Using Python 3.12.1 environment at: .venv", "  × No solution found when resolving dependencies:",
          "  ╰─▶ Because there is no version of a==9.9 ..."]
    assert meaningful(uv) == [line.strip() for line in uv[1:]]
    pip = ["Looking in links: /wh", "ERROR: Could not find a version that satisfies the requirement a==9.9",
           "ERROR: No matching distribution found for a==9.9"]
    assert meaningful(pip) == [line.strip() for line in pip[1:]]


# uv's output on a terminal (miette's graphical form) when maturin's cargo cannot reach
# crates.io: the case, where the line showed "Call to maturin.build_editable failed | [stdout]".
UV_MATURIN_OFFLINE = """\
Resolved 17 packages in 1ms
  × Failed to build `demo @ file:///home/me/demo`
  ├─▶ The build backend returned an error
  ╰─▶ Call to `maturin.build_editable` failed (exit status: 1)

      [stdout]
      Running `maturin pep517 build-wheel -i /home/me/demo/.venv/bin/python --compatibility off --editable`

      [stderr]
          Updating crates.io index
      warning: spurious network error (3 tries remaining): [6] Couldn't resolve host name (Could not resolve host: index.crates.io)
      error: failed to get `pyo3` as a dependency of package `demo v0.1.0 (/home/me/demo)`

      Caused by:
        download of config.json failed

      Caused by:
        failed to download from `https://index.crates.io/config.json`

      Caused by:
        [6] Couldn't resolve host name (Could not resolve host: index.crates.io)
      💥 maturin failed
        Caused by: Cargo metadata failed. Does your crate compile with `cargo build`?
        Caused by: `cargo metadata` exited with an error:
      Error: command ['maturin', 'pep517', 'build-wheel', '-i', '/home/me/demo/.venv/bin/python', '--compatibility', 'off', '--editable'] returned non-zero exit status 1

      hint: This usually indicates a problem with the package or the build environment.
"""


@pytest.mark.parametrize("output", [
    UV_MATURIN_OFFLINE,
    # the same without a terminal: "cause:" where the graphical form draws ├─▶ and ╰─▶
    UV_MATURIN_OFFLINE.replace("  × ", "error: ").replace("├─▶", "  cause:").replace("╰─▶", "  cause:"),
], ids=["terminal", "pipe"])
def test_a_build_without_network_shows_cargos_error_and_the_network_advice(tmp_path: Path, output: str) -> None:
    from venvd.installers import InstallerFailed
    from venvd.sync.inputs import Plan
    from venvd.sync.perform import failure_line

    lines = output.splitlines()
    plan = Plan("pyproject", str(tmp_path), [], [str(tmp_path / "pyproject.toml")], False, "")
    line = failure_line(InstallerFailed("uv pip install", 1, lines, lines[1:]), plan, "~/demo/.venv",
                        str(tmp_path / "x.log"))
    assert line.startswith("sync failed: no network for a package's build"), line
    assert ("(Call to `maturin.build_editable` failed (exit status: 1) | error: failed to get `pyo3` as a "
            "dependency of package `demo v0.1.0 (/home/me/demo)` | [6] Couldn't resolve host name "
            "(Could not resolve host: index.crates.io))") in line, line
    assert "[stdout]" not in line and "fix pyproject.toml" not in line
    assert line.endswith(f"'venvd sync' retries once the network is back (full output: {tmp_path / 'x.log'})")


@pytest.mark.parametrize("words", ["curl: (6) Could not resolve host: github.com",
                                   "fatal: unable to access 'https://github.com/x/y/': Couldn't resolve host",
                                   "Temporary failure in name resolution", "[Errno 101] Network is unreachable",
                                   "failed to download from `https://index.crates.io/config.json`"])
def test_the_network_words_of_curl_git_and_cargo_are_the_network(words: str) -> None:
    from venvd.sync.progress import classify

    assert classify(["error: Failed to build `x`", "  cause: The build backend returned an error", words]) == "network"
