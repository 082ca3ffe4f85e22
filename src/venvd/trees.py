"""Trusted trees: ``trust = ["~/src/mycompany", ...]`` in the user config (userconfig.py).

Every project under a trusted tree is allowed without ``venvd allow``, as direnv's
``[whitelist] prefix`` does, but only while the chain from the tree down to the project
passes ``ownership.problem``: a tree (or a directory in it, or the project) that another
user owns or can write is refused with a line, since they could put a project there.

Consulted on every directory change into a project that is not in the allowed list (and
every ``venvd export`` asks ``show_prompt``: the file's ``prompt = true``), so the parsed
settings are cached (marshal, keyed by the config file's stat signature, as
config.py caches a project's settings): a cd reads one stat and one small cache file,
never TOML. With no config file it is one failed stat.
"""

from __future__ import annotations

import marshal
import os
import sys

from .errors import VenvdError

# typing costs ~3 ms of imports (re, enum); this module is on the cd path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional

CACHE_FORMAT = 2  # 2: (trees, error, prompt)
CONFIG_NAME = "config.toml"


class TreeRefused(VenvdError):
    """A project under a trusted tree that another user could have put there."""


def config_file() -> str:
    from .paths import user_dir

    return os.path.join(user_dir("config"), CONFIG_NAME)


def _signature(path: str) -> "Optional[tuple]":
    try:
        st = os.stat(path)
    except OSError:
        return None
    # Owner and mode too: a file that became someone else's (or writable) is judged again.
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns, st.st_uid, st.st_mode)


def trees(path: "Optional[str]" = None) -> "list[str]":
    """The trusted trees, real paths. Raises VenvdError (one line) for a config file that
    is broken or not safely the user's: then no tree is trusted."""
    found, error, _ = _settings(path or config_file())
    if error:
        raise VenvdError(error)
    # Resolved at each use, not cached: a symlinked tree that is pointed elsewhere follows.
    return [os.path.realpath(tree) for tree in found]


def show_prompt(path: "Optional[str]" = None) -> bool:
    """``prompt = true`` in the user config: the hooks show the venv's name before the
    prompt. False with no config file, or a broken one (``trees`` and doctor say why)."""
    return _settings(path or config_file())[2]


def _settings(path: str) -> "tuple[list[str], str, bool]":
    """(trusted trees as written, the config file's error or "", prompt), from the cache."""
    signature = _signature(path)
    if signature is None:
        return [], "", False
    key = (CACHE_FORMAT, sys.version_info[:2], path, signature)
    from .paths import cache_dir, path_key

    cache = os.path.join(cache_dir(), "trees", path_key(path))
    cached = _read_cache(cache)
    if cached is not None and cached[0] == key and isinstance(cached[1], tuple) and len(cached[1]) == 3:
        return cached[1]
    settings = _parse(path)
    try:
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        from .safewrite import replace_file

        replace_file(cache, marshal.dumps((key, settings)))
    except OSError:
        pass  # a cache we cannot write only costs time
    return settings


def _read_cache(cache: str) -> "Optional[tuple]":
    from .safeio import LIMIT_SMALL, read_bytes

    try:
        cached = marshal.loads(read_bytes(cache, LIMIT_SMALL))
        return cached if isinstance(cached, tuple) and len(cached) == 2 else None
    except (OSError, VenvdError, EOFError, ValueError, TypeError):
        return None  # missing, corrupt or planted (safeio's UnsafeFile) cache: parse again


def _parse(path: str) -> "tuple[list[str], str, bool]":
    from .userconfig import load

    try:
        settings = load(path)
    except VenvdError as exc:
        return [], f"{exc}; no trusted tree applies until it is fixed", False
    return list(settings.get("trust", [])), "", bool(settings.get("prompt"))


def tree_of(real_root: str, found: "Optional[list[str]]" = None) -> "Optional[str]":
    """The trusted tree *real_root* (a real path) is in, or None. Raises TreeRefused when
    it is in one but a directory from the tree down to the project is not safely the
    user's, and VenvdError when the config file is broken."""
    from .ownership import problem

    for tree in (trees() if found is None else found):
        prefix = tree.rstrip(os.sep) + os.sep
        if real_root != tree and not real_root.startswith(prefix):
            continue
        chain = [tree]
        for part in real_root[len(prefix):].split(os.sep) if real_root != tree else []:
            chain.append(os.path.join(chain[-1], part))
        for directory in chain:
            try:
                why = problem(directory)
            except OSError as exc:
                why = f"not checkable ({exc.strerror})"
            if why is not None:
                from .ui import display_path

                what = "the trusted tree" if directory == tree else ("the project" if directory == real_root
                                                                      else "a directory of the trusted tree")
                raise TreeRefused(f"{display_path(real_root)} is under the trusted tree {display_path(tree)}, but "
                                  f"{what} {display_path(directory)} is {why}; another user could have put it "
                                  "there, so nothing runs for it (fix the owner or mode, or 'venvd allow' it "
                                  "after checking it)")
        return tree
    return None


def add_tree(directory: str, path: "Optional[str]" = None) -> "tuple[str, bool]":
    """Add *directory* (a real path) to ``trust`` in the user config, keeping the rest of
    the file as it is (its comments, its other settings): the new entry is put first in
    the existing array, or a ``trust = [...]`` line is put first in the file. Returns
    (the config file, whether it changed)."""
    import json

    from .tomlfile import loads_toml
    from .userconfig import load

    path = path or config_file()
    settings = load(path)  # a broken or foreign file: its line, nothing written
    if directory in [os.path.realpath(t) for t in settings["trust"]]:
        return path, False
    from .safeio import LIMIT_TEXT, read_optional

    data = read_optional(path, LIMIT_TEXT)
    text = data.decode("utf-8") if data is not None else ""
    try:
        directory.encode("utf-8")
    except UnicodeEncodeError:
        raise VenvdError(f"{directory!r} is not valid UTF-8, which TOML cannot hold; rename it") from None
    item = json.dumps(directory, ensure_ascii=False)  # a TOML basic string as well
    table = loads_toml(text.encode("utf-8"), path)
    if "trust" in table:
        new = _insert_first(text, item)
    else:
        new = f"# Trusted trees: every project under one is allowed (venvd allow --tree DIR).\ntrust = [{item}]\n" + text
    if new is None or loads_toml(new.encode("utf-8"), path).get("trust", [None])[0] != directory:
        raise VenvdError(f"cannot add {directory} to the trust list in {path} safely; add it there by hand: "
                         f"trust = [{item}, ...]")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    keep = None
    if data is not None:
        import stat

        keep = stat.S_IMODE(os.stat(path).st_mode) & 0o755  # the user's file keeps its mode
    from .safewrite import replace_text

    replace_text(path, new, mode=0o600, chmod=keep)
    return path, True


def _insert_first(text: str, item: str) -> "Optional[str]":
    """*text* with *item* put first in the top-level ``trust = [`` array, or None when that
    assignment is not found as a plain ``trust = [`` line before any table."""
    import re

    for match in re.finditer(r"(?m)^[ \t]*(\[|trust[ \t]*=[ \t]*\[)", text):
        if match.group(1) == "[":
            return None  # a table began: `trust` is not a top-level array we can patch here
        return text[:match.end()] + f"{item}, " + text[match.end():]
    return None
