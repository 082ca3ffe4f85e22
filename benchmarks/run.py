"""venvd against direnv, mise and uv, side by side in one run.

    python benchmarks/run.py [--quick] [--install-apt] [--scratch DIR]

Run it with an interpreter that has venvd installed (e.g. the dev venv). It writes
``benchmarks/results.md`` (the table for the README) and ``benchmarks/results.json``
(every raw sample). See benchmarks/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import datetime
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
from ptyshell import PROTO, BenchShell, count_forks, env_for_shell, terminate_all  # noqa: E402
from tests.wheelhouse import bench_name, build_many, write_wheel  # noqa: E402

SHELLS = ("bash", "zsh", "fish")
TOOLS = ("none", "venvd", "direnv", "mise", PROTO)
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
        self.no_proto = args.no_prototype

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
        self.commands = {"venvd": [self.venvd_python(), "-I", "-m", "venvd"]}
        if self.direnv:
            self.commands["direnv"] = [self.direnv]
        if self.mise:
            self.commands["mise"] = [self.mise]
        if not self.no_proto:
            import venvd

            # Not a command: where the prototype launcher finds the venvd package.
            self.commands[PROTO] = [os.path.dirname(os.path.dirname(os.path.abspath(venvd.__file__)))]
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
        self.prompt_dir[PROTO] = self.cd_dir[PROTO] = proj
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
            loops = (2000 if sh.tool in ("none", "venvd", PROTO) else 100) // (4 if self.quick else 1)
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
            for cell in cells.values():
                cell["median"] = median(cell["samples"])
                cell["added"] = median([t - b for t, b in zip(cell["samples"], base_samples)])
        return out

    # -- 3 and 4: onboarding and sync --------------------------------------------------------
    def _templates(self) -> dict[str, Path]:
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
        return {"uv": uvt, "pip": pipt}

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
        rounds = 1 if self.quick else 3
        templates = self._templates()
        out: dict[str, Any] = {}
        for kind in ("uv", "pip"):
            if kind == "uv" and not self.uv:
                continue
            tools.log(f"onboarding with {kind}: by hand (warming the cache first)")
            self._by_hand(kind, self._fresh(templates[kind], f"{kind}-warm"))
            hand = []
            for r in range(rounds):
                project = self._fresh(templates[kind], f"{kind}-hand-{r}")
                hand.append(self._by_hand(kind, project))
                if not self._imports(project / ".venv" / "bin" / "python"):
                    raise SystemExit(f"{kind} by hand did not install the packages")
            tools.log(f"onboarding with {kind}: venvd")
            venvd_samples, synced = [], True
            sh = BenchShell("bash", "venvd", self.work / "rc" / "onboard" / kind, self.env, self.outside / "a",
                            self.commands).start()
            try:
                for r in range(rounds):
                    project = self._fresh(templates[kind], f"{kind}-venvd-{r}")
                    self.run(self.commands["venvd"] + ["allow", str(project)], project, check=True)
                    venvd_samples.append(sh.command(f"cd {project}"))
                    synced = synced and self._imports(project / ".venv" / "bin" / "python")
                    sh.command(f"cd {self.outside}/a")
                last = self.work / "onboard" / f"{kind}-venvd-{rounds - 1}"
                out[kind] = {"by_hand": hand, "by_hand_median": median(hand), "venvd": venvd_samples,
                             "venvd_median": median(venvd_samples) if synced else None,
                             "status": "ok" if synced else PENDING}
                out[kind]["noop_check"] = self._noop_check(last, synced)
                out[kind]["pin_change"] = self._pin_change(kind, sh, last, synced, rounds)
            finally:
                terminate_all([sh])
        self.results["onboarding"] = out

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

    def _pin_change(self, kind: str, sh: BenchShell, project: Path, synced: bool, rounds: int) -> dict[str, Any]:
        """Change one pin (venvd-bench-01 1.0 → 1.1) and time the sync, by hand and by venvd."""
        def bump(p: Path) -> None:
            name = "pyproject.toml" if kind == "uv" else "requirements.txt"
            text = (p / name).read_text().replace(f"{bench_name(1)}==1.0", f"{bench_name(1)}==1.1")
            (p / name).write_text(text)
            if kind == "uv":
                self.run([self.uv, "lock", "--python", self.python], p, check=True)

        hand = self.work / "onboard" / f"{kind}-hand-0"
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
        import venvd

        src = os.path.dirname(os.path.dirname(os.path.abspath(venvd.__file__)))
        from ptyshell import proto_code

        from venvd.launcher import launcher

        hook = launcher()
        cases = {
            "python -I -S -c pass (interpreter floor)": ([vpy, "-I", "-S", "-c", "pass"], proj),
            "python -I -c pass (+ site)": ([vpy, "-I", "-c", "pass"], proj),
            "venvd export bash, entering a ready project (the hook's launcher)": (hook + ["export", "bash"], proj),
            "venvd export bash, a non-project dir (the hook's launcher)":
                (hook + ["export", "bash"], self.outside / "a"),
            "same as entering, launched with -I -m venvd (runpy)": ([vpy, "-I", "-m", "venvd", "export", "bash"], proj),
            "same as entering, launched with -I -S -c (no site; venvd's dir put on sys.path)":
                ([vpy, "-I", "-S", "-c", proto_code(src), "export", "bash"], proj),
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

    def daemon(self) -> None:
        # Placeholder for issue 4 (the daemon): no numbers until its benchmark is written.
        # It will time a lockfile write to synced, and RSS and idle CPU with 200 projects.
        has_command = self.run(self.commands["venvd"] + ["daemon", "--help"], self.work).returncode == 0
        self.results["daemon"] = {"status": "not built", "venvd_daemon_command": has_command}


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer samples (about 2 minutes)")
    p.add_argument("--scratch", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "venvd-bench"),
                   help="where the tools, caches and projects go (default: %(default)s)")
    p.add_argument("--python", default=None,
                   help="the projects' interpreter (default: the real binary behind this Python)")
    p.add_argument("--install-apt", action="store_true", help="apt-get install direnv and strace when missing")
    p.add_argument("--only", default="", help="comma-separated parts: shells,onboarding,bounds")
    p.add_argument("--no-prototype", action="store_true",
                   help="leave out the venvd-proto rows (venvd with the recommended changes, emulated)")
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
    parts = {"shells": bench.shells, "onboarding": bench.onboarding, "bounds": bench.bounds}
    for name, part in parts.items():
        if bench.only is None or name in bench.only:
            part()
    bench.daemon()
    bench.results["elapsed_s"] = round(time.monotonic() - started, 1)
    write_report(bench.results, Path(args.out))
    tools.log(f"done in {bench.results['elapsed_s']} s; wrote {args.out}/results.md and results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
