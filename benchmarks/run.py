"""venvd against direnv, mise and uv, side by side in one run.

    python benchmarks/run.py [--quick] [--install-apt] [--scratch DIR]

Run it with an interpreter that has venvd installed (e.g. the dev venv). It writes
``benchmarks/results.md`` (the table for the README) and ``benchmarks/results.json``
(every raw sample). See benchmarks/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests.wheelhouse
sys.path.insert(0, str(HERE))

import tools  # noqa: E402
from ptyshell import BenchShell, count_forks, env_for_shell, terminate_all  # noqa: E402
from tests.wheelhouse import bench_name, build_many, write_wheel  # noqa: E402

SHELLS = ("bash", "zsh", "fish")
TOOLS = ("none", "venvd", "direnv", "mise")
N_PACKAGES = 25
PENDING = "pending"


def median(samples: list[float]) -> Optional[float]:
    return statistics.median(samples) if samples else None


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.quick = args.quick
        self.scratch = Path(args.scratch).resolve()
        self.work = self.scratch / "work"
        self.python = os.path.realpath(args.python)
        self.results: dict[str, Any] = {"quick": self.quick}
        self.install_apt = args.install_apt
        self.only = set(args.only.split(",")) if args.only else None

    # -- setup ---------------------------------------------------------------------------
    def setup(self) -> None:
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        w = self.work
        self.direnv = tools.apt_tool("direnv", "direnv", self.install_apt)
        self.strace = tools.apt_tool("strace", "strace", self.install_apt)
        self.mise = tools.mise(self.scratch)
        self.uv = tools.uv(self.scratch, self.python)
        out = subprocess.run([self.python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True)
        self.pyver = out.stdout.strip()
        # The project interpreter, on PATH under the names venvd, direnv and uv look for.
        pybin = w / "pybin"
        pybin.mkdir()
        for name in (f"python{self.pyver}", "python3", "python"):
            os.symlink(self.python, pybin / name)
        toolbin = w / "toolbin"
        toolbin.mkdir()
        if self.uv:
            os.symlink(self.uv, toolbin / "uv")
        home = w / "home"
        self.env = env_for_shell(dict(os.environ))
        for key in list(self.env):
            if key.startswith(("UV_", "PIP_", "MISE_", "DIRENV_", "PYENV", "VENVD_", "XDG_")):
                del self.env[key]
        wh = w / "wheelhouse"
        self.env.update(
            HOME=str(home), LANG="C.UTF-8", LC_ALL="C.UTF-8",
            PATH=os.pathsep.join([str(pybin), str(toolbin), tools.SYSTEM_PATH]),
            XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
            XDG_CACHE_HOME=str(home / ".cache"), XDG_STATE_HOME=str(home / ".local/state"),
            VENVD_DATA_DIR=str(w / "venvd/data"), VENVD_STATE_DIR=str(w / "venvd/state"),
            VENVD_CACHE_DIR=str(w / "venvd/cache"), VENVD_RUNTIME_DIR=str(w / "venvd/run"),
            # All five named, as the hook names them in _VENVD_DIRS: a command the harness
            # spawns itself would otherwise import platformdirs (~15-50 ms) to find one.
            VENVD_CONFIG_DIR=str(w / "venvd/config"),
            MISE_DATA_DIR=str(w / "mise/data"), MISE_CONFIG_DIR=str(w / "mise/config"),
            MISE_STATE_DIR=str(w / "mise/state"), MISE_CACHE_DIR=str(w / "mise/cache"),
            DIRENV_LOG_FORMAT="",
            # Offline, from the local wheelhouse, with caches that outlive one run (warm).
            UV_CACHE_DIR=str(self.scratch / "uv-cache"), UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never",
            UV_OFFLINE="1", UV_NO_INDEX="1", UV_FIND_LINKS=str(wh), UV_NO_PROGRESS="1",
            PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wh), PIP_CACHE_DIR=str(self.scratch / "pip-cache"),
            PIP_DISABLE_PIP_VERSION_CHECK="1",
        )
        for d in ("home/.config", "home/.local/share", "home/.cache"):
            (w / d).mkdir(parents=True, exist_ok=True)
        from venvd.launcher import launcher

        # What users run: shells get the hook printed by the installed `venvd` script (its
        # launcher embedded); every venvd command the harness runs itself uses that same
        # launcher (`python -I -S -c ...`), never `-m venvd`.
        self.launcher = launcher()
        self.commands = {"venvd": list(self.launcher), "venvd-hook": [self.venvd_script()]}
        if self.direnv:
            self.commands["direnv"] = [self.direnv]
        if self.mise:
            self.commands["mise"] = [self.mise]
        self.tools = [t for t in TOOLS if t == "none" or t in self.commands]
        build_many(wh, N_PACKAGES)
        write_wheel(wh, bench_name(1), "1.1")  # for "one pin changes"
        self.wheelhouse = wh
        self.outside = w / "outside"
        for d in ("a", "b"):
            (self.outside / d).mkdir(parents=True)
        self._make_projects()
        self.results["meta"] = self.meta()

    def venvd_python(self) -> str:
        return sys.executable

    def venvd_script(self) -> str:
        """The installed `venvd` console script next to this interpreter (what a user's rc runs)."""
        script = os.path.join(os.path.dirname(sys.executable), "venvd")
        if not os.path.exists(script):
            raise SystemExit(f"bench: no `venvd` script next to {sys.executable}: install venvd into it")
        return script

    def run(self, argv: list[str], cwd: Path, **kw: Any) -> subprocess.CompletedProcess:
        return subprocess.run(argv, cwd=cwd, env=self.env, capture_output=True, text=True, **kw)

    def _project(self, name: str) -> Path:
        path = self.work / "projects" / name
        for d in ("a", "b"):
            (path / d).mkdir(parents=True)
        return path

    def _make_projects(self) -> None:
        py = self.python
        self.prompt_dir: dict[str, Path] = {}
        self.cd_dir: dict[str, Path] = {}
        none = self._project("none")
        self.prompt_dir["none"] = self.cd_dir["none"] = none
        # venvd: a ready, trusted project (venv made by venvd).
        proj = self._project("venvd")
        (proj / ".python-version").write_text(f"{self.pyver}\n")
        self.run(self.commands["venvd"] + ["allow", str(proj)], proj, check=True)
        made = self.run(self.commands["venvd"] + ["export", "bash"], proj)
        if not (proj / ".venv" / "bin" / "python").exists():
            raise SystemExit(f"venvd did not create the venv: {made.stderr}")
        self.prompt_dir["venvd"] = self.cd_dir["venvd"] = proj
        if self.direnv:
            layout = self._project("direnv-layout")
            (layout / ".envrc").write_text(f"layout python {py}\n")
            plain = self._project("direnv-plain")
            (plain / ".envrc").write_text("export BENCH_VAR=1\n")
            for p in (layout, plain):
                self.run([self.direnv, "allow", str(p)], p, check=True)
                self.run([self.direnv, "exec", str(p), "true"], p)  # layout python makes its venv now
            self.prompt_dir["direnv"], self.cd_dir["direnv"] = layout, plain
        if self.mise:
            proj = self._project("mise")
            subprocess.run([py, "-m", "venv", "--without-pip", str(proj / ".venv")], check=True)
            (proj / "mise.toml").write_text('[env]\n_.python.venv = { path = ".venv" }\n')
            self.run([self.mise, "trust", str(proj / "mise.toml")], proj, check=True)
            self.prompt_dir["mise"] = self.cd_dir["mise"] = proj

    def meta(self) -> dict[str, str]:
        venvd_version = self.run(self.commands["venvd"] + ["--version"], self.work).stdout.strip()
        commit = subprocess.run(["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        return {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": tools.machine(),
            "venvd": f"{venvd_version} ({commit}) on Python {self.pyver_of(self.venvd_python())}",
            "project python": f"{self.pyver_full()} ({self.python})",
            "bash": tools.version_of(["/bin/bash", "--version"]),
            "zsh": tools.version_of(["/usr/bin/zsh", "--version"]),
            "fish": tools.version_of(["/usr/bin/fish", "--version"]),
            "direnv": tools.version_of([self.direnv, "version"]) if self.direnv else "missing",
            "mise": tools.version_of([self.mise, "--version"]) if self.mise else "missing",
            "uv": tools.version_of([self.uv, "--version"]) if self.uv else "missing",
            "pip": tools.version_of([self.python, "-m", "pip", "--version"]).split(" from ")[0],
            "mode": "quick" if self.quick else "full",
        }

    def pyver_of(self, python: str) -> str:
        return tools.version_of([python, "-c", "import platform; print(platform.python_version())"])

    def pyver_full(self) -> str:
        return self.pyver_of(self.python)

    # -- 1 and 2: prompts and cd in real shells -------------------------------------------
    def shells(self) -> None:
        rounds, per_batch = (4, 100) if self.quick else (12, 200)
        n_cd = 8 if self.quick else 30
        prompt: dict[str, Any] = {}
        cd: dict[str, Any] = {}
        for shell_name in SHELLS:
            tools.log(f"{shell_name}: starting a shell per tool")
            opened = [
                BenchShell(shell_name, tool, self.work / "rc" / shell_name / tool, self.env, self.outside / "a",
                           self.commands).start()
                for tool in self.tools
            ]
            try:
                prompt[shell_name] = self._prompts(opened, rounds, per_batch)
                cd[shell_name] = self._cds(opened, n_cd)
            finally:
                terminate_all(opened)
            cd[shell_name]["first"] = self._first_cd(shell_name, 3 if self.quick else 8)
        self.results["prompt"] = prompt
        self.results["cd"] = cd

    def _prompts(self, opened: list[BenchShell], rounds: int, per_batch: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for sh in opened:
            sh.command(f"cd {self.prompt_dir[sh.tool]}")
            sh.batch("true", 20)
            active = sh.output('printf "@@VE=%s\\n" "$VIRTUAL_ENV"')
            out[sh.tool] = {"samples": [], "active": active.split("@@VE=")[-1].strip()}
        tools.log(f"{opened[0].shell}: no-op prompts, {rounds} rounds of {per_batch}")
        for r in range(rounds):
            order = opened if r % 2 == 0 else opened[::-1]
            for sh in order:
                out[sh.tool]["samples"].append(sh.batch("true", per_batch))
        for sh in opened:
            loops = (2000 if sh.tool in ("none", "venvd") else 100) // (4 if self.quick else 1)
            out[sh.tool]["hook_loop"] = sh.hook_loop(loops)
            if self.strace:
                n = 20 if self.quick else 30
                counted = count_forks(self.strace, sh, lambda sh=sh: [sh.command("true") for _ in range(n)],
                                      self.work / "strace.txt")
                out[sh.tool]["forks_per_prompt"] = counted.forks / n
                out[sh.tool]["python_per_prompt"] = counted.python_runs() / n
        base_samples = out["none"]["samples"]
        base_loop = out["none"].get("hook_loop")
        for tool, cell in out.items():
            cell["median"] = median(cell["samples"])
            # Paired with the no-hook shell's batch of the same round: drift cancels out.
            cell["added"] = median([t - b for t, b in zip(cell["samples"], base_samples)])
            if cell.get("hook_loop") is not None and base_loop is not None:
                cell["hook_loop_added"] = cell["hook_loop"] - base_loop
        return out

    def _cds(self, opened: list[BenchShell], n: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        scenarios: dict[str, Callable[[BenchShell], list[tuple[str, str]]]] = {
            # (label of the timed cd, target)
            "within": lambda sh: [("within", f"{self.cd_dir[sh.tool]}/b"), ("within", f"{self.cd_dir[sh.tool]}/a")],
            "nonproject": lambda sh: [("nonproject", f"{self.outside}/b"), ("nonproject", f"{self.outside}/a")],
            "enter": lambda sh: [("enter", str(self.cd_dir[sh.tool])), ("leave", f"{self.outside}/a")],
        }
        starts = {"within": lambda sh: f"{self.cd_dir[sh.tool]}/a", "nonproject": lambda sh: f"{self.outside}/a",
                  "enter": lambda sh: f"{self.outside}/a"}
        tools.log(f"{opened[0].shell}: cd, {n} of each")
        for name, steps in scenarios.items():
            for sh in opened:
                sh.command(f"cd {starts[name](sh)}")
                sh.batch("true", 3)
            for i in range(n // 2):
                for sh in opened:
                    for label, target in steps(sh):
                        cell = out.setdefault(label, {}).setdefault(sh.tool, {"samples": []})
                        cell["samples"].append(sh.command(f"cd {target}"))
            # The same cds timed inside each shell (no pty round trip): the hook's own cost.
            for sh in opened:
                sh.command(f"cd {starts[name](sh)}")
                iterations = (100 if self.quick else 300) if sh.tool in ("none", "venvd") else (10 if self.quick else 30)
                pairs_of = steps(sh)
                timed = sh.cd_loop([t for _, t in pairs_of], iterations)
                for (label, _), each in zip(pairs_of, timed or [None] * len(pairs_of)):
                    out[label][sh.tool].setdefault("loop", []).append(each)
            if self.strace:
                pairs = 3 if self.quick else 5
                for sh in opened:
                    counted = count_forks(
                        self.strace, sh,
                        lambda sh=sh, steps=steps: [sh.command(f"cd {t}") for _ in range(pairs) for _, t in steps(sh)],
                        self.work / "strace.txt")
                    for label, _ in steps(sh):
                        cell = out[label][sh.tool]
                        cell["python_per_cd"] = counted.python_runs() / (2 * pairs)
                        cell["forks_per_cd"] = counted.forks / (2 * pairs)
                        cell["execs"] = sorted(set(counted.execs))
        for label, cells in out.items():
            base_samples = cells["none"]["samples"]
            base_loop = [x for x in cells["none"].get("loop", []) if x is not None]
            for cell in cells.values():
                cell["median"] = median(cell["samples"])
                cell["added"] = median([t - b for t, b in zip(cell["samples"], base_samples)])
                loop = [x for x in cell.get("loop", []) if x is not None]
                if loop and base_loop:
                    cell["loop_added"] = median(loop) - median(base_loop)
        return out

    def _first_cd(self, shell_name: str, n: int) -> dict[str, Any]:
        """The first cd into a ready project in a new shell, each sample a shell of its own
        (venvd's hook gets the saved activations as it loads: no `venvd export` here)."""
        out: dict[str, Any] = {}
        tools.log(f"{shell_name}: first cd in a new shell, {n} of each")
        for i in range(n):
            for tool in self.tools:
                sh = BenchShell(shell_name, tool, self.work / "rc" / shell_name / f"{tool}-first", self.env,
                                self.outside / "a", self.commands).start()
                try:
                    sh.batch("true", 3)
                    out.setdefault(tool, {"samples": []})["samples"].append(sh.command(f"cd {self.cd_dir[tool]}"))
                finally:
                    terminate_all([sh])
        base = out["none"]["samples"]
        for cell in out.values():
            cell["median"] = median(cell["samples"])
            cell["added"] = median([t - b for t, b in zip(cell["samples"], base)])
        return out

    # -- 3 and 4: onboarding and sync --------------------------------------------------------
    def _templates(self) -> dict[str, Path]:
        if getattr(self, "_made_templates", None):
            return self._made_templates
        deps = [f"{bench_name(i)}==1.0" for i in range(1, N_PACKAGES + 1)]
        uvt = self.work / "templates" / "uv"
        uvt.mkdir(parents=True)
        (uvt / ".python-version").write_text(f"{self.pyver}\n")
        (uvt / "pyproject.toml").write_text(
            '[project]\nname = "bench-app"\nversion = "0"\n'
            f'requires-python = ">={self.pyver}"\ndependencies = [\n'
            + "".join(f'  "{d}",\n' for d in deps) + "]\n")
        locked = self.run([self.uv, "lock", "--python", self.python], uvt) if self.uv else None
        if locked is None or locked.returncode != 0 or not (uvt / "uv.lock").exists():
            raise SystemExit(f"uv lock failed: {locked and locked.stderr}")
        pipt = self.work / "templates" / "pip"
        pipt.mkdir(parents=True)
        (pipt / ".python-version").write_text(f"{self.pyver}\n")
        (pipt / "requirements.txt").write_text("".join(d + "\n" for d in deps))
        (pipt / "venvd.toml").write_text('installer = "pip"\n')
        self._made_templates = {"uv": uvt, "pip": pipt}
        return self._made_templates

    def _fresh(self, template: Path, name: str) -> Path:
        dest = self.work / "onboard" / name
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(template, dest)
        return dest

    def _imports(self, python: Path, version: str = "1.0") -> bool:
        code = ("import importlib, sys; mods = [importlib.import_module('venvd_bench_%02d' % i) for i in range(1, 26)];"
                f" sys.exit(0 if mods[0].__version__ == '{version}' else 1)")
        return subprocess.run([str(python), "-c", code], env=self.env, capture_output=True).returncode == 0

    def _by_hand(self, kind: str, project: Path) -> float:
        py = self.python
        if kind == "uv":
            steps = [[self.uv, "venv", "--quiet", "--python", py], [self.uv, "sync", "--quiet"]]
        else:
            steps = [[py, "-m", "venv", ".venv"], [".venv/bin/python", "-m", "pip", "install", "-q", "-r",
                                                   "requirements.txt"]]
        started = time.perf_counter()
        for argv in steps:
            self.run(argv, project, check=True)
        return time.perf_counter() - started

    def onboarding(self) -> None:
        rounds = 3 if self.quick else 7
        templates = self._templates()
        # Every onboarding gets a path no run has used: a clone is a new directory. uv keeps
        # what it learns of an interpreter by its path (`.venv/bin/python`), so `uv sync`
        # after `uv venv` in a path it has met before skips the query of the new venv's
        # interpreter (~40 ms here) that a fresh clone pays; reused names across runs made
        # the by-hand side that much faster than onboarding is. That case is measured too,
        # apart (`by_hand_seen`): the same project's venv made again by hand.
        run_id = "%x" % time.time_ns()
        out: dict[str, Any] = {}
        for kind in ("uv", "pip"):
            if kind == "uv" and not self.uv:
                continue
            tools.log(f"onboarding with {kind}: by hand and venvd, {rounds} rounds, interleaved")
            hand, hand_seen, venvd_samples, synced = [], [], [], True
            first_hand: Optional[Path] = None
            last: Optional[Path] = None
            sh = BenchShell("bash", "venvd", self.work / "rc" / "onboard" / kind, self.env, self.outside / "a",
                            self.commands).start()
            try:
                # Both sides warmed first: uv's interpreter and wheel caches, venvd's
                # interpreter discovery cache; one onboarding each, not counted.
                self._by_hand(kind, self._fresh(templates[kind], f"{kind}-warm-{run_id}"))
                warm = self._fresh(templates[kind], f"{kind}-venvd-warm-{run_id}")
                self.run(self.commands["venvd"] + ["allow", str(warm)], warm, check=True)
                sh.command(f"cd {warm}")
                sh.command(f"cd {self.outside}/a")
                # Interleaved, the order alternating: this machine's speed drifts over seconds,
                # and rounds of one side then the other would measure the drift.
                for r in range(rounds):
                    for side in (("hand", "venvd") if r % 2 == 0 else ("venvd", "hand")):
                        if side == "hand":
                            project = self._fresh(templates[kind], f"{kind}-hand-{r}-{run_id}")
                            first_hand = first_hand or project
                            hand.append(self._by_hand(kind, project))
                            if not self._imports(project / ".venv" / "bin" / "python"):
                                raise SystemExit(f"{kind} by hand did not install the packages")
                            if kind == "uv":
                                shutil.rmtree(project / ".venv")
                                hand_seen.append(self._by_hand(kind, project))
                            continue
                        project = last = self._fresh(templates[kind], f"{kind}-venvd-{r}-{run_id}")
                        self.run(self.commands["venvd"] + ["allow", str(project)], project, check=True)
                        venvd_samples.append(sh.command(f"cd {project}"))
                        synced = synced and self._imports(project / ".venv" / "bin" / "python")
                        sh.command(f"cd {self.outside}/a")
                assert first_hand is not None and last is not None
                out[kind] = {"by_hand": hand, "by_hand_median": median(hand), "venvd": venvd_samples,
                             "venvd_median": median(venvd_samples) if synced else None,
                             "status": "ok" if synced else PENDING}
                if hand_seen:
                    out[kind]["by_hand_seen"] = hand_seen
                    out[kind]["by_hand_seen_median"] = median(hand_seen)
                out[kind]["noop_check"] = self._noop_check(last, synced)
                out[kind]["pin_change"] = self._pin_change(kind, sh, last, first_hand, synced)
            finally:
                terminate_all([sh])
        out["creation"] = self._creation_bounds(3)
        self.results["onboarding"] = out

    def _creation_bounds(self, n: int) -> dict[str, float]:
        """What creating the venv alone costs, each way venvd (or a user) may do it."""
        py = self.python
        target = self.work / "onboard" / "creation" / ".venv"
        cases = {"python -m venv (pip installed by ensurepip; by hand, and venvd with installer = \"pip\")":
                 [py, "-m", "venv", str(target)],
                 "python -m venv --without-pip": [py, "-m", "venv", "--without-pip", str(target)]}
        if self.uv:
            cases["uv venv (venvd with uv)"] = [self.uv, "venv", "--quiet", "--python", py, str(target)]
        out = {}
        for label, argv in cases.items():
            samples = []
            for _ in range(n):
                shutil.rmtree(target, ignore_errors=True)
                started = time.perf_counter()
                self.run(argv, self.work, check=True)
                samples.append(time.perf_counter() - started)
            out[label] = median(samples)
        shutil.rmtree(target, ignore_errors=True)
        return out

    def _spawn_median(self, argv: list[str], cwd: Path, n: int, env: Optional[dict[str, str]] = None) -> float:
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            subprocess.run(argv, cwd=cwd, env=env or self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    _IN_PROCESS = (
        "import os, statistics, sys, time\n"
        "from venvd.export import compute\n"
        "out = []\n"
        "for path in sys.argv[1:]:\n"
        "    os.chdir(path); env = dict(os.environ, PWD=path); compute(env); samples = []\n"
        "    for _ in range(200):\n"
        "        t = time.perf_counter(); compute(env); samples.append(time.perf_counter() - t)\n"
        "    out.append(statistics.median(samples))\n"
        "print(*out)\n"
    )

    def _noop_check(self, project: Path, synced: bool) -> dict[str, Any]:
        """What the sync check adds to a directory change into a synced project: the
        core of ``venvd export`` (``compute``) timed in one process, in the synced project
        and in a ready project without inputs; also the whole process, spawned; and
        whether an installer ran (strace)."""
        n = 20 if self.quick else 60
        export = self.commands["venvd"] + ["export", "bash"]
        with_inputs = self._spawn_median(export, project, n)
        without = self._spawn_median(export, self.prompt_dir["venvd"], n)
        timed = self.run([self.venvd_python(), "-I", "-c", self._IN_PROCESS, str(project),
                          str(self.prompt_dir["venvd"])], project)
        try:
            core_synced, core_plain = (float(x) for x in timed.stdout.split())
        except ValueError:
            core_synced = core_plain = None
            tools.log(f"in-process timing failed: {timed.stderr.strip()[-300:]}")
        installers: list[str] = []
        if self.strace:
            trace = self.work / "strace-export.txt"
            self.run([self.strace, "-f", "-o", str(trace), "-e", "trace=execve"] + export, project)
            for line in trace.read_text(errors="replace").splitlines():
                if "execve(" in line and any(w in line.split('"')[1] for w in ("/uv", "pip")):
                    installers.append(line.split('"')[1])
        added = None if core_synced is None or core_plain is None else core_synced - core_plain
        return {"export_synced": with_inputs, "export_no_inputs": without, "process_added": with_inputs - without,
                "compute_synced": core_synced, "compute_no_inputs": core_plain, "added": added,
                "installers_started": installers, "status": "ok" if synced else PENDING}

    def _pin_change(self, kind: str, sh: BenchShell, project: Path, hand: Path, synced: bool) -> dict[str, Any]:
        """Change one pin (venvd-bench-01 1.0 → 1.1) and time the sync, by hand and by venvd."""
        def bump(p: Path) -> None:
            name = "pyproject.toml" if kind == "uv" else "requirements.txt"
            text = (p / name).read_text().replace(f"{bench_name(1)}==1.0", f"{bench_name(1)}==1.1")
            (p / name).write_text(text)
            if kind == "uv":
                self.run([self.uv, "lock", "--python", self.python], p, check=True)

        bump(hand)
        argv = [self.uv, "sync", "--quiet"] if kind == "uv" else \
            [".venv/bin/python", "-m", "pip", "install", "-q", "-r", "requirements.txt"]
        started = time.perf_counter()
        self.run(argv, hand, check=True)
        by_hand = time.perf_counter() - started
        sh.command(f"cd {project}")
        bump(project)
        venvd_time = sh.command("true")  # the next prompt sees the changed input
        ok = synced and self._imports(project / ".venv" / "bin" / "python", "1.1")
        sh.command(f"cd {self.outside}/a")
        return {"by_hand": by_hand, "venvd": venvd_time if ok else None, "status": "ok" if ok else PENDING}

    # -- what bounds the cost of a directory change --------------------------------------------
    def bounds(self) -> None:
        n = 30 if self.quick else 100
        proj = self.prompt_dir["venvd"]
        vpy = self.venvd_python()
        hook = self.launcher
        cases = {
            "python -I -S -c pass (interpreter floor)": ([vpy, "-I", "-S", "-c", "pass"], proj),
            "python -I -c pass (+ site)": ([vpy, "-I", "-c", "pass"], proj),
            "venvd export bash, entering a ready project (the hook's launcher)": (hook + ["export", "bash"], proj),
            "venvd export bash, a non-project dir (the hook's launcher)":
                (hook + ["export", "bash"], self.outside / "a"),
            "same as entering, launched with -I -m venvd (runpy + site, the old launcher)":
                ([vpy, "-I", "-m", "venvd", "export", "bash"], proj),
        }
        if self.direnv:
            cases["direnv export bash, entering a plain .envrc"] = (
                [self.direnv, "export", "bash"], self.cd_dir["direnv"])
        if self.mise:
            cases["mise hook-env -s bash, entering the project"] = (
                [self.mise, "hook-env", "-s", "bash"], self.cd_dir["mise"])
        env = {k: v for k, v in self.env.items() if k not in ("DIRENV_DIFF", "DIRENV_DIR", "DIRENV_WATCHES")}
        out = {}
        for label, (argv, cwd) in cases.items():
            out[label] = self._spawn_median(argv, cwd, n, env)
        self.results["bounds"] = out

    # -- 5: the daemon -------------------------------------------------------------------------
    def _daemon_env(self, name: str) -> dict[str, str]:
        """venvd's dirs (trust store, registry, runtime files, log) for one daemon of its own,
        so it sees exactly the projects registered for this measurement."""
        base = self.work / "daemon" / name
        env = dict(self.env)
        for key, sub in (("DATA", "data"), ("STATE", "state"), ("CACHE", "cache"), ("RUNTIME", "run")):
            env[f"VENVD_{key}_DIR"] = str(base / sub)
            (base / sub).mkdir(parents=True, exist_ok=True)
        return env

    def _venvd(self, args: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
        out = subprocess.run(self.launcher + args, cwd=cwd, env=dict(env, PWD=str(cwd)), capture_output=True,
                             text=True)
        if check and out.returncode != 0:
            raise SystemExit(f"bench: venvd {' '.join(args)} failed in {cwd}: {out.stderr.strip()}")
        return out

    @staticmethod
    def _status_file(env: dict[str, str]) -> Path:
        return Path(env["VENVD_RUNTIME_DIR"]) / "daemon-status.json"

    def _read_status(self, env: dict[str, str]) -> dict[str, Any]:
        try:
            return json.loads(self._status_file(env).read_text())
        except (OSError, ValueError):
            return {}

    def _wait_idle(self, env: dict[str, str], n_projects: int, bound: float = 600.0,
                   min_syncs: int = 0) -> float:
        """Seconds until the daemon watches *n_projects* with nothing running or queued
        (checked with `venvd daemon status --json`, as a user would)."""
        started = time.monotonic()
        while time.monotonic() - started < bound:
            out = self._venvd(["daemon", "status", "--json"], self.work, env, check=False)
            try:
                st = json.loads(out.stdout)
            except ValueError:
                st = {}
            if (len(st.get("projects", [])) == n_projects and not st.get("running") and not st.get("queued")
                    and st.get("syncs", 0) >= min_syncs):
                return time.monotonic() - started
            time.sleep(0.2)
        raise SystemExit(f"bench: the daemon did not go idle with {n_projects} projects in {bound:.0f}s")

    def _start_daemon(self, env: dict[str, str]) -> int:
        self._venvd(["daemon", "start"], self.work, env)
        return int(self._read_status(env)["pid"])

    def _stop_daemon(self, env: dict[str, str]) -> None:
        self._venvd(["daemon", "stop"], self.work, env, check=False)

    def _site_packages(self, project: Path) -> Path:
        return project / ".venv" / "lib" / f"python{self.pyver}" / "site-packages"

    def _installed_version(self, project: Path, dist: str) -> Optional[str]:
        prefix = dist.replace("-", "_") + "-"
        try:
            names = os.listdir(self._site_packages(project))
        except OSError:
            return None
        found = [n[len(prefix):-len(".dist-info")] for n in names if n.startswith(prefix) and n.endswith(".dist-info")]
        return found[0] if len(found) == 1 else None

    def _daemon_latency(self, rounds: int) -> dict[str, Any]:
        """A pin written to a requirements file (and a branch switch writing pyproject.toml
        and uv.lock) → the package installed, and → the daemon idle again with one more
        sync counted (the sync record written), polled every 5 ms with no prompt anywhere."""
        env = self._daemon_env("latency")
        deps = [f"{bench_name(i)}==1.0" for i in range(1, N_PACKAGES + 1)]
        projects: dict[str, Path] = {}
        req = self.work / "daemon" / "projects" / "requirements"
        req.mkdir(parents=True)
        (req / ".python-version").write_text(f"{self.pyver}\n")
        (req / "requirements.txt").write_text("".join(d + "\n" for d in deps))
        projects["requirements.txt"] = req
        variants: dict[str, dict[str, str]] = {"requirements.txt": {}}
        for pin in ("1.0", "1.1"):
            variants["requirements.txt"][pin] = "".join(
                d.replace(f"{bench_name(1)}==1.0", f"{bench_name(1)}=={pin}") + "\n" for d in deps)
        if self.uv:
            lock = self.work / "daemon" / "projects" / "uvlock"
            lock.mkdir(parents=True)
            (lock / ".python-version").write_text(f"{self.pyver}\n")
            variants["uv.lock"] = {}
            for pin in ("1.1", "1.0"):  # ends at 1.0: the project starts there
                (lock / "pyproject.toml").write_text(
                    '[project]\nname = "bench-app"\nversion = "0"\n'
                    f'requires-python = ">={self.pyver}"\ndependencies = [\n'
                    + "".join(f'  "{d.replace(f"{bench_name(1)}==1.0", f"{bench_name(1)}=={pin}")}",\n'
                              for d in deps) + "]\n")
                self.run([self.uv, "lock", "--python", self.python], lock, check=True)
                variants["uv.lock"][pin] = (lock / "pyproject.toml").read_text() + "\0" + (lock / "uv.lock").read_text()
            projects["uv.lock"] = lock
        for project in projects.values():
            self._venvd(["allow", str(project)], project, env)
            self._venvd(["export", "bash"], project, env)  # created, synced, registered (foreground)
            if self._installed_version(project, bench_name(1)) != "1.0":
                raise SystemExit(f"bench: venvd did not sync {project} in the foreground")
        out: dict[str, Any] = {"rounds": rounds}
        try:
            pid = self._start_daemon(env)
            self._wait_idle(env, len(projects))
            for kind, project in projects.items():
                cell: dict[str, Any] = {"installed": [], "synced": [], "syncs_per_write": []}
                tools.log(f"daemon: {kind} write → synced, {rounds} rounds")
                pin = "1.0"
                for _ in range(rounds):
                    pin = "1.1" if pin == "1.0" else "1.0"
                    before = self._read_status(env).get("syncs", 0)
                    time.sleep(1.0)  # the watcher is back in its wait after the last round
                    started = time.perf_counter()
                    if kind == "uv.lock":
                        pyproject, lock_text = variants[kind][pin].split("\0")
                        (project / "pyproject.toml").write_text(pyproject)
                        started = time.perf_counter()  # timed from the lockfile write
                        (project / "uv.lock").write_text(lock_text)
                    else:
                        (project / "requirements.txt").write_text(variants[kind][pin])
                    installed = synced = None
                    while time.perf_counter() - started < 120:
                        now = time.perf_counter() - started
                        if installed is None and self._installed_version(project, bench_name(1)) == pin:
                            installed = now
                        st = self._read_status(env)
                        if (installed is not None and st.get("syncs", 0) > before and not st.get("running")
                                and not st.get("queued")):
                            synced = now
                            break
                        time.sleep(0.005)
                    if synced is None:
                        raise SystemExit(f"bench: the daemon did not sync {kind} to {pin} within 120 s")
                    time.sleep(1.5)  # a second sync (a write the first one caused) would show now
                    self._wait_idle(env, len(projects))
                    cell["installed"].append(installed)
                    cell["synced"].append(synced)
                    cell["syncs_per_write"].append(self._read_status(env).get("syncs", 0) - before)
                cell["installed_median"] = median(cell["installed"])
                cell["synced_median"] = median(cell["synced"])
                out[kind] = cell
            out["pid"] = pid
        finally:
            self._stop_daemon(env)
        return out

    @staticmethod
    def _proc(pid: int) -> dict[str, Any]:
        status = Path(f"/proc/{pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        stat = Path(f"/proc/{pid}/stat").read_text()
        rest = stat[stat.rindex(")") + 2:].split()
        ticks = int(rest[11]) + int(rest[12])  # utime + stime (fields 14 and 15)
        switches = oncpu_ns = 0
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                # Time on a CPU in ns, per thread (utime+stime count 10 ms ticks: too coarse for ~0).
                oncpu_ns += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
                for line in Path(f"/proc/{pid}/task/{task}/status").read_text().splitlines():
                    if "ctxt_switches:" in line:  # voluntary and nonvoluntary
                        switches += int(line.split(":")[1])
            except OSError:
                pass
        watches = 0
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:inotify":
                    watches += sum(1 for line in Path(f"/proc/{pid}/fdinfo/{fd}").read_text().splitlines()
                                   if line.startswith("inotify wd:"))
            except OSError:
                pass
        kb = lambda key: int(fields[key].split()[0]) if key in fields else None  # noqa: E731
        return {"rss_kb": kb("VmRSS"), "hwm_kb": kb("VmHWM"), "threads": int(fields["Threads"]),
                "cpu_ticks": ticks, "oncpu_ns": oncpu_ns, "ctxt_switches": switches, "inotify_watches": watches}

    def _daemon_resources(self, n: int, idle_s: float) -> dict[str, Any]:
        """RSS and idle CPU of the real daemon watching *n* trusted, registered projects
        (each a `.python-version` and a venv the user made with `uv venv`, no requirements)."""
        from concurrent.futures import ThreadPoolExecutor

        env = self._daemon_env(f"resources-{n}")
        base = self.work / "daemon" / "many"
        roots = [base / f"p{i:03d}" for i in range(n)]

        def make(root: Path) -> None:
            if not (root / ".venv" / "pyvenv.cfg").exists():
                root.mkdir(parents=True, exist_ok=True)
                (root / ".python-version").write_text(f"{self.pyver}\n")
                argv = ([self.uv, "venv", "--quiet", "--python", self.python, str(root / ".venv")] if self.uv
                        else [self.python, "-m", "venv", "--without-pip", str(root / ".venv")])
                self.run(argv, root, check=True)
            self._venvd(["allow", str(root)], root, env)
            self._venvd(["export", "json"], root, env)  # activates it: the registry records it

        tools.log(f"daemon: {n} projects (venv, allow, first activation)")
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(make, roots))
        registry = Path(env["VENVD_STATE_DIR"]) / "projects"
        registered = len(registry.read_text().splitlines()) if registry.exists() else 0
        out: dict[str, Any] = {"projects": n, "registered": registered, "idle_s": idle_s}
        try:
            started = time.monotonic()
            pid = self._start_daemon(env)
            out["ready_s"] = time.monotonic() - started + self._wait_idle(env, n, min_syncs=n)
            time.sleep(2.0)  # settle
            first = self._proc(pid)
            t0 = time.monotonic()
            time.sleep(idle_s)
            last = self._proc(pid)
            elapsed = time.monotonic() - t0
            hz = os.sysconf("SC_CLK_TCK")
            out.update(pid=pid, rss_kb=last["rss_kb"], hwm_kb=last["hwm_kb"], threads=last["threads"],
                       inotify_watches=last["inotify_watches"],
                       idle_cpu_ms_per_s=(last["cpu_ticks"] - first["cpu_ticks"]) * 1000 / hz / elapsed,
                       idle_oncpu_ms_per_s=(last["oncpu_ns"] - first["oncpu_ns"]) / 1e6 / elapsed,
                       wakeups_per_s=(last["ctxt_switches"] - first["ctxt_switches"]) / elapsed,
                       cpu_tick_ms=1000 / hz)
            st = self._read_status(env)
            out["status"] = {k: st.get(k) for k in ("syncs", "running", "queued", "last_error")}
            out["status"]["projects"] = len(st.get("projects", []))
        finally:
            self._stop_daemon(env)
        return out

    def daemon(self) -> None:
        tools.log("daemon: a write → synced; RSS and idle CPU with 1 and 200 projects")
        rounds = 3 if self.quick else 6
        idle_s = 5.0 if self.quick else 10.0
        out: dict[str, Any] = {"latency": self._daemon_latency(rounds)}
        out["resources"] = [self._daemon_resources(n, idle_s) for n in (1, 200)]
        self.results["daemon"] = out


    # -- 6: git clone → a working python, with the daemon and without (issue 11 point 3) ----
    def _clone_env(self, name: str) -> tuple[dict[str, str], Path]:
        """venvd's dirs of their own, and a user config trusting a tree of its own."""
        env = self._daemon_env(name)
        config = self.work / "daemon" / name / "config"
        config.mkdir(parents=True, exist_ok=True)
        tree = self.work / "clone" / name
        tree.mkdir(parents=True)
        (config / "config.toml").write_text(f'trust = ["{tree}"]\n')
        env["VENVD_CONFIG_DIR"] = str(config)
        return env, tree

    def _upstream(self) -> Path:
        """A local git repository of the 25-package uv.lock project."""
        up = self.work / "clone" / "upstream"
        if not up.exists():
            shutil.copytree(self._templates()["uv"], up)
            for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                         ["-c", "user.name=bench", "-c", "user.email=bench@example.org", "commit", "-q", "-m", "init"]):
                subprocess.run(["git", *args], cwd=up, env=self.env, check=True, capture_output=True)
        return up

    def _until_python_works(self, sh: BenchShell, bound: float = 600.0) -> bool:
        """Type the check into the shell until `python` there imports all 25 packages."""
        code = ("import importlib; [importlib.import_module('venvd_bench_%02d' % i) for i in range(1, 26)]; "
                "print('BENCH' + '-OK')")
        deadline = time.monotonic() + bound
        while time.monotonic() < deadline:
            if "BENCH-OK" in sh.output(f'python -c "{code}" 2>/dev/null'):
                return True
            time.sleep(0.05)
        return False

    def clone(self) -> None:
        """`git clone` of a local repository with a 25-package uv.lock into a trusted tree,
        then `cd` into it and `python` (all 25 importable), typed at once, and typed after
        a pause a person takes (5 s): with the daemon running and without."""
        tools.log("clone: git clone → cd → a working python, with the daemon and without")
        rounds = 1 if self.quick else 3
        pause = 5.0
        up = self._upstream()
        out: dict[str, Any] = {"pause_s": pause}
        for mode in ("without", "with"):
            env, tree = self._clone_env(f"clone-{mode}")
            if mode == "with":
                self._start_daemon(env)
                self._wait_idle(env, 0)
            sh = BenchShell("bash", "venvd", self.work / "rc" / "clone" / mode, env, self.outside / "a",
                            self.commands).start()
            try:
                for when, wait in (("at once", 0.0), ("after a pause", pause)):
                    cells = []
                    for r in range(rounds):
                        dest = tree / f"{when.replace(' ', '-')}-{r}"
                        started = time.perf_counter()
                        cloned = sh.command(f"git clone -q {up} {dest}")
                        time.sleep(wait)
                        entered = time.perf_counter()
                        sh.command(f"cd {dest}")
                        ok = self._until_python_works(sh)
                        done = time.perf_counter()
                        cells.append({"clone_s": cloned, "cd_to_python_s": done - entered,
                                      "clone_to_python_s": done - started - wait, "ok": ok})
                        sh.command(f"cd {self.outside}/a")
                    out[f"{mode} daemon, {when}"] = {
                        "samples": cells, "ok": all(c["ok"] for c in cells),
                        "cd_to_python_median": median([c["cd_to_python_s"] for c in cells]),
                        "clone_to_python_median": median([c["clone_to_python_s"] for c in cells]),
                        "clone_median": median([c["clone_s"] for c in cells])}
            finally:
                terminate_all([sh])
                if mode == "with":
                    self._stop_daemon(env)
        self.results["clone"] = out


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer samples (about 2 minutes)")
    p.add_argument("--scratch", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "venvd-bench"),
                   help="where the tools, caches and projects go (default: %(default)s)")
    p.add_argument("--python", default=None,
                   help="the projects' interpreter (default: the real binary behind this Python)")
    p.add_argument("--install-apt", action="store_true", help="apt-get install direnv and strace when missing")
    p.add_argument("--only", default="", help="comma-separated parts: shells,onboarding,bounds,daemon,clone")
    p.add_argument("--out", default=str(HERE), help="where results.md and results.json go")
    args = p.parse_args(argv)
    if args.python is None:
        args.python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    return args


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    try:
        import pexpect  # noqa: F401

        import venvd  # noqa: F401
    except ImportError as exc:
        print(f"bench: run this with a Python that has venvd and pexpect installed ({exc})", file=sys.stderr)
        return 2
    from report import write_report

    bench = Bench(args)
    started = time.monotonic()
    bench.setup()
    parts = {"shells": bench.shells, "onboarding": bench.onboarding, "bounds": bench.bounds, "daemon": bench.daemon,
             "clone": bench.clone}
    for name, part in parts.items():
        if bench.only is None or name in bench.only:
            part()
    bench.results["elapsed_s"] = round(time.monotonic() - started, 1)
    write_report(bench.results, Path(args.out))
    tools.log(f"done in {bench.results['elapsed_s']} s; wrote {args.out}/results.md and results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
