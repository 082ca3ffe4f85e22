"""venvd's PowerShell output read back without PowerShell: every hook and export parses
under tree-sitter-powershell, and the values come back exactly.

The round trip walks the parse tree with a small evaluator for the only expressions
venvd emits (single-quoted strings, ``[char]0x..`` casts joined with ``+``, ``@(...)``
arrays). It refuses anything else, so a value that would reach PowerShell as code (an
expandable string, a subexpression, a command) fails the test.
"""

from __future__ import annotations

import sys
from typing import Union

import pytest

# PowerShell ends a single-quoted string at any of these, and reads two in a row as the second.
QUOTES = "'\u2018\u2019\u201a\u201b"

Value = Union[str, list]


def parser():  # -> tree_sitter.Parser
    if sys.version_info < (3, 10):
        # pyproject's test extra has tree-sitter for 3.10+ only (no wheels for 3.9).
        pytest.skip("tree-sitter-powershell needs Python 3.10+")
    import tree_sitter_powershell
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_powershell.language()))


def parse(code: str):  # -> tree_sitter.Tree
    return parser().parse(code.encode("utf-8"))


def syntax_errors(code: str) -> list[str]:
    """Every ERROR or MISSING node tree-sitter-powershell finds, with its text."""
    found: list[str] = []
    source = code.encode("utf-8")

    def walk(node) -> None:
        if node.is_error or node.is_missing:
            found.append(f"{node.type} at {node.start_point}: {source[node.start_byte:node.end_byte][:80]!r}")
        for child in node.children:
            walk(child)

    walk(parse(code).root_node)
    return found


def unquote_verbatim(literal: str) -> str:
    """The value of a single-quoted PowerShell string, by PowerShell's own rule
    (its tokenizer's ScanStringLiteral): any of the five quotes ends the string,
    unless another of them follows, which is then taken literally."""
    assert literal[0] in QUOTES, literal
    out = []
    i = 1
    while True:
        assert i < len(literal), f"unterminated string {literal!r}"
        char = literal[i]
        if char in QUOTES:
            if i + 1 < len(literal) and literal[i + 1] in QUOTES:
                out.append(literal[i + 1])
                i += 2
                continue
            assert i == len(literal) - 1, f"string ends early: {literal!r}"
            return "".join(out)
        out.append(char)
        i += 1


def _utf16(units: str) -> str:
    # [char] casts are UTF-16 code units: join surrogate pairs into one character.
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


_WRAPPERS = {
    "pipeline", "pipeline_chain", "logical_expression", "bitwise_expression", "comparison_expression",
    "multiplicative_expression", "format_expression", "range_expression", "unary_expression",
    "expression_with_unary_operator", "statement_list",
}


def _unwrap(node):
    while node.type in _WRAPPERS | {"additive_expression", "array_literal_expression"} and len(node.named_children) == 1:
        node = node.named_children[0]
    return node


def _eval(node) -> Value:
    kind = node.type
    named = node.named_children
    text = node.text.decode("utf-8")
    if kind == "string_literal":
        assert text[0] == "'", f"only single-quoted strings are data: {text!r}"
        return unquote_verbatim(text)
    if kind == "cast_expression":
        type_literal, operand = named
        assert type_literal.text.decode().lower() == "[char]", text
        number = operand.text.decode()
        assert number.lower().startswith("0x"), text
        return chr(int(number, 16))
    if kind in ("additive_expression", "array_literal_expression") and len(named) == 1:
        return _eval(named[0])
    if kind == "additive_expression":
        # '' + [char]... concatenates; a join that starts with a [char] would add numbers.
        assert _unwrap(named[0]).type != "cast_expression", f"a join must start with a string: {text!r}"
        operators = [c.type for c in node.children if not c.is_named]
        assert operators == ["+"], f"only + joins: {text!r}"
        left, right = (_eval(c) for c in named)
        assert isinstance(left, str) and isinstance(right, str)
        return left + right
    if kind == "parenthesized_expression":
        (inner,) = named
        value = _eval(inner)
        return _utf16(value) if isinstance(value, str) else value
    if kind == "array_expression":
        if not named:
            return []
        (inner,) = named
        value = _eval(inner)
        return value if isinstance(value, list) else [value]
    if kind == "array_literal_expression":
        values = [_eval(c) for c in named]
        assert all(isinstance(v, str) for v in values)
        return values
    if kind in _WRAPPERS:
        assert len(named) == 1, f"unexpected {kind}: {text!r}"
        return _eval(named[0])
    raise AssertionError(f"not a data expression: {kind} {text!r}")


def assignments(code: str, only: "set[str] | None" = None) -> dict[str, Value]:
    """``{"$env:NAME": value, "$global:NAME": value}`` for every top-level assignment
    (or those named in *only*), each value evaluated as data."""
    assert not syntax_errors(code), syntax_errors(code)
    found: dict[str, Value] = {}
    for statement in _statements(code):
        if statement.type != "pipeline" or statement.named_children[0].type != "assignment_expression":
            continue
        assignment = statement.named_children[0]
        target = assignment.named_children[0].text.decode("utf-8")
        if only is not None and target not in only:
            continue
        value = assignment.child_by_field_name("value")
        result = _eval(value)
        found[target] = _utf16(result) if isinstance(result, str) else [_utf16(v) for v in result]
    return found


def _statements(code: str) -> list:
    found = []
    for node in parse(code).root_node.named_children:
        if node.type == "statement_list":
            found.extend(node.named_children)
    return found


def statements(code: str) -> list[str]:
    """The top-level statements, as text."""
    return [s.text.decode("utf-8") for s in _statements(code)]


# --- the tests ---------------------------------------------------------------------------

from venvd.envdiff import Change, Record, Target, env_change  # noqa: E402
from venvd.shells import get_shell  # noqa: E402

HOSTILE = [
    "plain",
    "",
    "it's \"quoted\"",
    "\u2018left\u2019 \u201alow\u201b and ''",
    "''''",
    "\u2019",
    "$HOME $(Remove-Item -Recurse ~) ${env:PATH} @(1) @args",
    "`backticks` `n `$ `'",
    "new\nline",
    "cr\r\nlf\rcr",
    "tab\there",
    "emoji \U0001F40D snake",
    "\U0001F40D",
    "caf\u00e9 \u00fcber \u4e2d\u6587",
    ";exit 1;",
    "'; exit 1; '",
    "\u2019; exit 1; \u2018",
    "# not a comment",
    "<# not a block comment #>",
    "a\u0000nul",
    "\x7f\x1b[31m",
    "C:\\Users\\me\\proj\\.venv\\Scripts",
    "\udc80 undecodable byte",
]


@pytest.fixture
def pwsh():
    return get_shell("pwsh")


@pytest.mark.parametrize("value", HOSTILE)
def test_every_value_parses_and_comes_back_exactly(pwsh, value: str):
    code = pwsh.export(Change(env={"VENVD_TEST": value}, state={"_VENVD_PWD": value, "_VENVD_WATCH": [value, "x"]}))
    assert code.isascii()
    assert syntax_errors(code) == []
    assert assignments(code) == {
        "$env:VENVD_TEST": value,
        "$global:_VENVD_PWD": value,
        "$global:_VENVD_WATCH": [value, "x"],
    }


def test_the_test_parser_sees_broken_quoting():
    # The checks above mean something only if tree-sitter flags a string left open.
    assert syntax_errors("$env:A = 'it's'\n")
    with pytest.raises(AssertionError):
        assignments('$env:A = "$(whoami)"\n')
    with pytest.raises(AssertionError):  # tree-sitter misses it; PowerShell's rule does not
        assignments("$env:A = 'it\u2019s'\n")
    with pytest.raises(AssertionError):
        assignments("$env:A = ([char]0x41 + 'b')\n")


def test_an_activation_for_windows_parses_and_comes_back(pwsh):
    venv = "C:\\Users\\J\u00f6rg\\it's \U0001F40D $(x)\\.venv"
    environ = {"Path": "C:\\Windows\\system32;C:\\Tools", "VIRTUAL_ENV_PROMPT": "old \u2019"}
    target = Target(venv[: -len("\\.venv")], venv, venv + "\\Scripts", "it's \U0001F40D")
    env = env_change(environ, None, target, sep=";", ignore_case=True)
    code = pwsh.export(Change(env=env, deactivate=True))
    assert syntax_errors(code) == []
    back = assignments(code)
    assert back["$env:PATH"] == venv + "\\Scripts;C:\\Windows\\system32;C:\\Tools"
    assert back["$env:VIRTUAL_ENV"] == venv
    assert back["$env:VIRTUAL_ENV_PROMPT"] == "it's \U0001F40D"
    record = Record.decode(back["$env:VENVD_DIFF"])
    assert record is not None and record.bindir == venv + "\\Scripts"
    assert record.saved["VIRTUAL_ENV_PROMPT"] == "old \u2019"
    assert "Remove-Item Env:PYTHONHOME -ErrorAction Ignore" not in code  # it was not set
    assert code.endswith("function global:deactivate { _venvd_deactivate @args }\n")


def test_the_hook_parses_with_a_hostile_launcher_and_dirs(pwsh):
    command = ["C:\\Program Files\\it's \u2018py\u2019 \U0001F40D\\python.exe", "-I", "-c",
               "import sys; sys.path.insert(0, '$(x)'); from venvd.cli import main; sys.exit(main())"]
    dirs = "cache=C:\\Users\\a;b\\\n`x`;data=/home/\u2019/.local"
    hook = pwsh.hook(command, dirs)
    assert hook.isascii(), "a console code page cannot corrupt ASCII"
    assert syntax_errors(hook) == []
    back = assignments(hook, only={"$global:_venvd_command", "$global:_VENVD_DIRS"})
    assert back == {"$global:_venvd_command": command, "$global:_VENVD_DIRS": dirs}


def test_the_installed_hook_parses(pwsh):
    from venvd.launcher import launcher

    hook = pwsh.hook(launcher(), "cache=/c;data=/d")
    assert syntax_errors(hook) == []
    assert assignments(hook, only={"$global:_venvd_command"}) == {"$global:_venvd_command": launcher()}


def test_the_hook_script_is_ascii_and_windows_powershell_5_syntax():
    from venvd.shells.base import hook_script_path

    with open(hook_script_path("venvd.ps1"), encoding="utf-8") as f:
        text = f.read()
    assert text.isascii()
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    for newer in ("??", "&&", "||", "?."):  # pwsh 7 operators Windows PowerShell 5.1 cannot parse
        assert newer not in code, newer
    # The pieces the hook is made of, each defined for the whole session.
    for name in ("venvd", "_venvd_export", "_venvd_deactivate", "_venvd_hook", "prompt"):
        assert f"function global:{name} " in text, name


def test_deactivate_and_unset_statements_parse(pwsh):
    code = pwsh.export(Change(env={"VENVD_DIFF": None, "PATH": "/usr/bin"}, deactivate=False))
    assert syntax_errors(code) == []
    assert statements(code) == [
        "$env:PATH = '/usr/bin'",
        "Remove-Item Env:VENVD_DIFF -ErrorAction Ignore",
        "Remove-Item Function:deactivate -ErrorAction Ignore",
    ]


def test_venvd_export_pwsh_in_a_hostile_directory(home, tmp_path):
    """The real command: a directory named like code comes back as data."""
    import subprocess

    from tests.conftest import venvd_script

    hostile = home / "it's $(touch pwned) \u2019 \U0001F40D ;exit 1;"
    hostile.mkdir()
    (hostile / ".python-version").write_text("3.12\n")  # a project, not allowed: nothing runs
    result = subprocess.run([venvd_script(), "export", "pwsh"], cwd=hostile, capture_output=True,
                            env=dict(__import__("os").environ, PWD=str(hostile)))
    assert result.returncode == 0, result.stderr
    code = result.stdout.decode("ascii")
    back = assignments(code)
    assert back["$global:_VENVD_PWD"] == str(hostile)
    assert str(hostile) in back["$global:_VENVD_WATCH"]
    assert "not allowed" in result.stderr.decode()
    assert not list(home.rglob("pwned"))


# --- the activation cache (issue 12): the entries `venvd hook pwsh` hands a new session ----

# Directory names (real ones: a new session is handed only entries whose root, venv and bin
# are still the user's own) that PowerShell would read as code if they were not data.
CACHE_NAMES = ["it's \u2018smart\u2019 \u201alow\u201b", "$(New-Item pwned) ${env:PATH} @args", "`$x` #c <#b#>",
               "new\nline cr\r", "\U0001F40D caf\u00e9 ;=%", "plain"]


def _saved_entries(home) -> list[list[str]]:
    """One entry per CACHE_NAMES project, saved as the core saves them (activation_cache.save)."""
    from venvd.activation_cache import READ_VARIABLES, save, saved
    from venvd.envdiff import Record
    from venvd.paths import cache_dir

    for number, name in enumerate(CACHE_NAMES):
        root = home / name
        (root / ".venv" / "bin").mkdir(parents=True)
        venv, bindir = str(root / ".venv"), str(root / ".venv" / "bin")
        entry = [str(root), venv, bindir, name, "1" if number % 2 else "",
                 Record(str(root), venv, bindir, {}).encode(), f"/s/{number}", "/s/0", str(len(READ_VARIABLES))]
        for variable in READ_VARIABLES:
            entry += [variable, "1", f"{name} {variable}"] if variable == "HOME" else [variable, "0", ""]
        entry += ["3", str(root), str(root / "uv.lock"), str(root / "it's.toml"), "-/s/1", "", f"/s/{name}"]
        save(entry, cache_dir())
    entries = saved(cache_dir())
    assert len(entries) == len(CACHE_NAMES)
    return entries


def _statement_nodes(code: str) -> list:
    return _statements(code)


def test_the_hook_hands_a_new_session_every_saved_entry_exactly(pwsh, home):
    entries = _saved_entries(home)
    hook = pwsh.hook(["/opt/venvd/bin/python", "-I", "-m", "venvd"], "cache=/c;data=/d")
    assert hook.isascii(), "a console code page cannot corrupt ASCII"
    assert syntax_errors(hook) == []
    # Each entry is one assignment of data, then the call that files it.
    filed: list[list[str]] = []
    nodes = _statement_nodes(hook)
    for number, node in enumerate(nodes):
        if node.type != "pipeline" or node.named_children[0].type != "assignment_expression":
            continue
        assignment = node.named_children[0]
        if assignment.named_children[0].text.decode() != "$global:_VENVD_ENTRY":
            continue
        value = _eval(assignment.child_by_field_name("value"))
        assert isinstance(value, list)
        filed.append([_utf16(v) for v in value])
        assert nodes[number + 1].text.decode() == "_venvd_remember"
    assert filed == entries
    assert not list(home.rglob("pwned"))


def test_without_saved_entries_the_hook_files_none(pwsh, home):
    hook = pwsh.hook(["/opt/venvd/bin/python"], "cache=/c")
    assert syntax_errors(hook) == []
    assert "_venvd_remember" not in statements(hook), "only inside _venvd_export"


def test_the_hook_fills_in_the_marker_names_and_the_users_uid(pwsh, home):
    import os

    from venvd.project import HOOK_MARKERS

    hook = pwsh.hook(["/opt/venvd/bin/python"], "cache=/c")
    assert "@VENVD_" not in hook
    back = assignments(hook, only={"$global:_venvd_markers", "$global:_VENVD_UID"})
    assert back == {"$global:_venvd_markers": list(HOOK_MARKERS), "$global:_VENVD_UID": str(os.geteuid())}


def test_every_function_of_the_hook_is_global(pwsh, home):
    import re

    _saved_entries(home)
    hook = pwsh.hook(["/opt/venvd/bin/python"], "cache=/c")
    code = "\n".join(line.split("#", 1)[0] for line in hook.splitlines())
    defined = re.findall(r"\bfunction\s+(\S+)", code, flags=re.IGNORECASE)
    assert defined and all(name.startswith("global:") for name in defined), defined
    # The cache's pieces are there, each for the whole session.
    for name in ("_venvd_remember", "_venvd_cached", "_venvd_unchanged", "_venvd_walk", "_venvd_has_marker",
                 "_venvd_paths_ok", "_venvd_owned", "_venvd_plain_path", "_venvd_without_entry"):
        assert f"function global:{name} " in hook, name


def test_a_path_only_venvd_writes_is_compared_with_its_own_stamp(pwsh, home):
    # ('-' and its stamp: newer than that stamp is a change.) Compared with the newest stamp
    # instead, a watched file dated in the future would hide a `venvd deny` made in another
    # shell (the trust store's directory is one of these paths). No pwsh here to run it:
    # the text of the branch is read.
    hook = pwsh.hook(["/opt/venvd/bin/python"], "cache=/c")
    body = hook[hook.index("function global:_venvd_paths_ok "):]
    branch = body[body.index("if ($venvd_own.StartsWith('-'"):]
    branch = branch[:branch.index("continue")]
    assert "$venvd_own = $venvd_own.Substring(1)" in branch
    assert "if ($venvd_time -gt [System.IO.File]::GetLastWriteTimeUtc($venvd_own)) { return $false }" in branch
    assert "$Newest" not in branch
