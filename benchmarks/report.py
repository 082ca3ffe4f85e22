"""results.json (every sample) and results.md (the tables for the README), with the
budgets of issue 6 checked against the numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

PEERS = ("direnv", "mise")
PROTO = "venvd-proto"
OURS = ("venvd", PROTO)


def _ms(seconds: Optional[float], digits: int = 2) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.{digits}f} ms"


def _ratio(a: Optional[float], b: Optional[float]) -> str:
    if a is None or b is None or b <= 0:
        return "—"
    return f"{a / b:.2f}×"


def _verdict(ok: Optional[bool]) -> str:
    return "pending" if ok is None else ("met" if ok else "**not met**")


def _num(x: Any) -> str:
    return "—" if x is None else (f"{x:.2f}".rstrip("0").rstrip(".") if isinstance(x, float) else str(x))


def prompt_table(prompt: dict[str, Any]) -> list[str]:
    lines = ["| shell | tool | per prompt (median) | added over no hook | hook call, timed in the shell | "
             "forks / prompt | venvd / tool (added) |", "|---|---|---|---|---|---|---|"]
    for shell, cells in prompt.items():
        venvd = cells.get("venvd", {})
        for tool, cell in cells.items():
            vs = _ratio(venvd.get("added"), cell.get("added")) if tool in PEERS else ""
            hook = cell.get("hook_loop_added") if tool != "none" else cell.get("hook_loop")
            lines.append(f"| {shell} | {tool} | {_ms(cell.get('median'), 3)} | "
                         f"{'' if tool == 'none' else _ms(cell.get('added'), 3)} | {_ms(hook, 3)} | "
                         f"{_num(cell.get('forks_per_prompt'))} | {vs} |")
    return lines


def cd_table(cd: dict[str, Any]) -> list[str]:
    labels = {"within": "within a project", "nonproject": "between non-project dirs",
              "enter": "into a ready project", "leave": "out of a project"}
    lines = ["| shell | cd | tool | added over no hook | Python runs / cd | forks / cd | venvd / tool |",
             "|---|---|---|---|---|---|---|"]
    for shell, scenarios in cd.items():
        for label, cells in scenarios.items():
            venvd = cells.get("venvd", {})
            for tool, cell in cells.items():
                if tool == "none":
                    continue
                vs = _ratio(venvd.get("added"), cell.get("added")) if tool in PEERS else ""
                lines.append(f"| {shell} | {labels.get(label, label)} | {tool} | {_ms(cell.get('added'))} | "
                             f"{_num(cell.get('python_per_cd'))} | {_num(cell.get('forks_per_cd'))} | {vs} |")
    return lines


def budgets(results: dict[str, Any]) -> list[str]:
    lines = ["| budget | measured | verdict |", "|---|---|---|"]
    prompt = results.get("prompt", {})
    for ours in OURS:
        tag = "" if ours == "venvd" else " — *prototype*"
        for shell in ("bash", "zsh", "fish"):
            cells = prompt.get(shell)
            if not cells or ours not in cells:
                continue
            v = cells[ours]
            forks = v.get("forks_per_prompt")
            lines.append(f"| no-op prompt, {shell}: 0 processes forked{tag} | {_num(forks)} / prompt | "
                         f"{_verdict(None if forks is None else forks == 0)} |")
            if shell == "fish":
                continue
            added = v.get("added")
            mise = cells.get("mise", {}).get("added")
            loop = v.get("hook_loop_added")
            ok = None if added is None else added <= 0.0001 and (mise is None or added <= 0.1 * mise)
            lines.append(f"| no-op prompt, {shell}: added ≤ 0.1 ms and ≤ 0.1× mise{tag} | {_ms(added, 3)} over a "
                         f"pty (hook alone: {_ms(loop, 3)}); mise {_ms(mise, 3)} | {_verdict(ok)} |")
        for shell, scenarios in results.get("cd", {}).items():
            if ours not in scenarios.get("within", {}):
                continue
            for label, text in (("within", "cd within a project"), ("nonproject", "cd between non-project dirs")):
                runs = scenarios.get(label, {}).get(ours, {}).get("python_per_cd")
                lines.append(f"| {text}, {shell}: no Python process{tag} | {_num(runs)} Python runs / cd | "
                             f"{_verdict(None if runs is None else runs == 0)} |")
            enter = scenarios.get("enter", {})
            v = enter.get(ours, {}).get("added")
            for peer, limit in (("mise", 1.5), ("direnv", 0.7)):
                p = enter.get(peer, {}).get("added")
                ok = None if v is None or p is None else v <= limit * p
                lines.append(f"| cd into a ready project, {shell}: ≤ {limit}× {peer}{tag} | {ours} {_ms(v)}, "
                             f"{peer} {_ms(p)} ({_ratio(v, p)}) | {_verdict(ok)} |")
    onboarding = results.get("onboarding", {})
    for kind, limit in (("uv", 1.2), ("pip", 0.6)):
        cell = onboarding.get(kind)
        if not cell:
            continue
        v, hand = cell.get("venvd_median"), cell.get("by_hand_median")
        ok = None if v is None else v <= limit * hand
        lines.append(f"| onboarding with {kind}: ≤ {limit}× by hand | venvd {_ms(v, 0)}, by hand {_ms(hand, 0)} "
                     f"({_ratio(v, hand)}) | {_verdict(ok)} |")
        check = cell.get("noop_check", {})
        added, installers = check.get("added"), check.get("installers_started")
        ok = None if check.get("status") != "ok" else (added is not None and added <= 0.001 and not installers)
        lines.append(f"| no-op sync check ({kind}) ≤ 1 ms, no installer | {_ms(added, 3)}; installers started: "
                     f"{len(installers or [])} | {_verdict(ok)} |")
    return lines


def write_report(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1, sort_keys=True, default=str) + "\n")
    meta = results.get("meta", {})
    md = ["# venvd benchmarks", "",
          "Generated by `python benchmarks/run.py" + (" --quick" if results.get("quick") else "") + "`"
          f" in {results.get('elapsed_s', '?')} s. Raw samples: `benchmarks/results.json`.", "",
          "| | |", "|---|---|"]
    md += [f"| {k} | {v} |" for k, v in meta.items()]
    md += ["", "## Budgets (issue 6)", "",
           "*venvd-proto* rows are venvd with the changes the benchmarks recommend, emulated without "
           "touching src/ or shell/: the launcher runs `-I -S -c` (no site) and the hook decides a "
           "`cd` that stays in the same project, or in no project, with builtins "
           "(`benchmarks/prototypes/fastcd.{bash,zsh,fish}`). They show what the changes would "
           "buy; the *venvd* rows are what ships.", ""] + budgets(results)
    if "prompt" in results:
        md += ["", "## No-op prompt", "",
               "An interactive shell on a pty, in a project that is already active, typing `true` "
               "(hundreds of prompts typed ahead, so the time is the shell's, not the pty round trip). "
               "*Added* is the median per prompt minus the same shell with no hook; *hook call* times "
               "the prompt hooks in a loop inside the shell (`$EPOCHREALTIME`; fish: `time`). "
               "Forks: strace on the shell over 30 prompts. direnv: a `layout python` .envrc; "
               "mise: `_.python.venv` in mise.toml.", ""]
        md += prompt_table(results["prompt"])
    if "cd" in results:
        md += ["", "## cd", "",
               "`cd` typed at the prompt; time to the next prompt minus the same `cd` in a shell with no "
               "hook. direnv: a plain `.envrc` exporting one variable; mise: `_.python.venv`; venvd: "
               "a ready, trusted project. Python runs and forks: strace on the shell.", ""]
        md += cd_table(results["cd"])
    if "onboarding" in results:
        md += ["", "## Onboarding and sync", "",
               f"A fresh copy of a project with 25 pinned packages (a `uv.lock`, or a pinned "
               "requirements.txt with `installer = \"pip\"`), offline from a local wheelhouse, warm cache. "
               "venvd: `cd` into it to the prompt (the venv created and synced). By hand: "
               "`uv venv && uv sync`, or `python -m venv .venv && pip install -r requirements.txt`. "
               "*pending* (where it shows): the sync engine (issue 3) did not install the packages in "
               "this run, so there is no number.", "",
               "| | venvd | by hand | venvd / by hand | status |", "|---|---|---|---|---|"]
        for kind, cell in results["onboarding"].items():
            md.append(f"| onboarding, {kind} | {_ms(cell.get('venvd_median'), 0)} | "
                      f"{_ms(cell.get('by_hand_median'), 0)} | "
                      f"{_ratio(cell.get('venvd_median'), cell.get('by_hand_median'))} | {cell.get('status')} |")
            pin = cell.get("pin_change", {})
            md.append(f"| one pin changes, {kind} | {_ms(pin.get('venvd'), 0)} | {_ms(pin.get('by_hand'), 0)} | "
                      f"{_ratio(pin.get('venvd'), pin.get('by_hand'))} | {pin.get('status')} |")
            check = cell.get("noop_check", {})
            md.append(f"| no-op sync check, {kind}: `compute()` in the synced project − in one without inputs "
                      f"({_ms(check.get('compute_synced'), 3)} − {_ms(check.get('compute_no_inputs'), 3)}, in "
                      f"one process); whole `venvd export` processes: {_ms(check.get('process_added'))} | "
                      f"{_ms(check.get('added'), 3)} | | | {check.get('status')} |")
    if "bounds" in results:
        md += ["", "## What bounds a directory change", "",
               "Each command spawned from Python, median wall time (spawn overhead included, the same "
               "for every row).", "", "| command | median |", "|---|---|"]
        md += [f"| {label} | {_ms(t)} |" for label, t in results["bounds"].items()]
    daemon = results.get("daemon", {})
    md += ["", "## Daemon (issue 4)", "", "**not built** — no numbers. This section will time a lockfile "
           "write to synced, and RSS and idle CPU with 200 projects"
           + (" (a `venvd daemon` command exists in this build; its benchmark is not written yet)."
              if daemon.get("venvd_daemon_command") else "."), ""]
    (out / "results.md").write_text("\n".join(md))
