"""A buildable local project for tests, offline: an in-tree PEP 517 backend (``backend-path``).

Not a test module. The wheelhouse holds no build backend (no hatchling or setuptools
wheel), and a build must never reach an index: ``write_project`` writes a
``pyproject.toml`` whose ``[build-system]`` requires nothing and names ``_backend.py``
beside it, a real backend of a few lines that real pip and real uv run in their real
build isolation. It builds a wheel and a PEP 660 editable wheel (a ``.pth`` naming the
checkout) whose METADATA carries the ``[project]`` dependencies and extras, as any
backend's would.
"""

from __future__ import annotations

from pathlib import Path

BACKEND = r'''
"""A minimal PEP 517/660 backend (venvd's tests): [project] name, version, dependencies, extras."""
import base64, hashlib, os, tarfile, tomllib, zipfile


def _project():
    with open("pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _metadata(p):
    lines = ["Metadata-Version: 2.1", f"Name: {p['name']}", f"Version: {p['version']}"]
    lines += [f"Requires-Dist: {r}" for r in p.get("dependencies", [])]
    for extra, reqs in sorted(p.get("optional-dependencies", {}).items()):
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {r}; extra == "{extra}"' for r in reqs]
    return "\n".join(lines) + "\n\n"


def _wheel(directory, files):
    p = _project()
    dist = p["name"].replace("-", "_")
    info = f"{dist}-{p['version']}.dist-info"
    files = dict(files)
    files[f"{info}/METADATA"] = _metadata(p)
    files[f"{info}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: venvd-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n\n"
    record = []
    for name, text in files.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    name = f"{dist}-{p['version']}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    module = _project()["name"].replace("-", "_")
    return _wheel(wheel_directory, {f"{module}.py": open(f"{module}.py").read() if os.path.exists(f"{module}.py") else ""})


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {f"_{_project()['name'].replace('-', '_')}_editable.pth": os.getcwd() + "\n"})


def build_sdist(sdist_directory, config_settings=None):
    p = _project()
    base = f"{p['name'].replace('-', '_')}-{p['version']}"
    with tarfile.open(os.path.join(sdist_directory, base + ".tar.gz"), "w:gz") as tf:
        for name in os.listdir("."):
            if name.endswith((".py", ".toml")):
                tf.add(name, arcname=f"{base}/{name}")
    return base + ".tar.gz"
'''

BUILD_SYSTEM = '[build-system]\nrequires = []\nbuild-backend = "_backend"\nbackend-path = ["."]\n'


def write_project(directory: Path, name: str, dependencies: list[str],
                  extras: dict[str, list[str]] | None = None, tail: str = "") -> Path:
    """A buildable project in *directory*: pyproject.toml, its backend, one module."""
    directory.mkdir(parents=True, exist_ok=True)

    def strings(items: list[str]) -> str:
        return "[" + ", ".join(f'"{item}"' for item in items) + "]"

    text = f'[project]\nname = "{name}"\nversion = "0.1"\ndependencies = {strings(dependencies)}\n\n'
    if extras:
        text += "[project.optional-dependencies]\n" + "".join(f"{k} = {strings(v)}\n" for k, v in extras.items())
        text += "\n"
    (directory / "pyproject.toml").write_text(text + BUILD_SYSTEM + tail)
    (directory / "_backend.py").write_text(BACKEND)
    (directory / f"{name.replace('-', '_')}.py").write_text("WHERE = 'checkout'\n")
    return directory
