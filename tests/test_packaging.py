"""What a user installs: the wheel carries shell/ as it is, and `venvd hook` fills in
the absolute interpreter of that installation (never a shim, never a bare python3)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHELL_DIR = REPO / "shell"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out), str(REPO)],
        check=True,
    )
    (found,) = out.glob("venvd-*.whl")
    return found


def test_the_wheel_ships_every_hook_script_unchanged(wheel: Path):
    scripts = sorted(p for p in SHELL_DIR.iterdir() if p.is_file())
    assert {p.name for p in scripts} >= {"venvd.bash", "venvd.zsh", "venvd.fish"}
    with zipfile.ZipFile(wheel) as zf:
        for script in scripts:
            assert zf.read(f"venvd/shell/{script.name}") == script.read_bytes(), script.name


@pytest.mark.slow
def test_installed_hook_embeds_the_installations_interpreter(wheel: Path, tmp_path: Path, home: Path):
    venv = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet", "--no-deps",
         str(wheel)],
        check=True,
    )
    for name in ("bash", "zsh", "fish"):
        out = subprocess.run([str(venv / "bin" / "venvd"), "hook", name], check=True, capture_output=True, text=True)
        template = (SHELL_DIR / f"venvd.{name}").read_text()
        python = str(venv / "bin" / "python")
        assert f"'{python}' '-I' '-S' '-c' 'import sys; sys.path.extend([" in out.stdout
        assert str(venv / "lib") in out.stdout, "the installation's own site-packages is named"
        # Everything but the two placeholders is the template, byte for byte.
        head = template.split("@VENVD_COMMAND@")[0]
        assert out.stdout.startswith(head)
        assert "@VENVD_" not in out.stdout
        assert "pyenv/shims" not in out.stdout
