"""One line of a requirements file as pip reads it (pip's ``req_file.py``): comments and
``\\`` continuations, the options a file may hold (``-r``, ``-i``, ``--hash``…), and the
requirement itself (PEP 508 name, specifier, extras, marker; a URL, wheel or path).

``requirements.py`` follows the includes and ``${VARS}`` and answers the questions
(pinned? a lock?); this module knows the grammar only. Module level imports nothing
but ``os``: ``re``, ``shlex`` and ``packaging`` are imported where they are needed.
"""

from __future__ import annotations

import os

from venvd.errors import VenvdError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator

# pip's rule, verbatim: a comment is `#` at line start or after whitespace (so the `#`
# of `…whl#sha256=…` or `…#egg=foo` is not one).
_COMMENT = r"(^|\s+)#.*$"

# Option names (canonical long form) -> takes a value.  The set pip accepts in a file.
_OPTIONS = {
    "--requirement": True,
    "--constraint": True,
    "--editable": True,
    "--index-url": True,
    "--pypi-url": True,
    "--extra-index-url": True,
    "--no-index": False,
    "--find-links": True,
    "--no-binary": True,
    "--only-binary": True,
    "--prefer-binary": False,
    "--require-hashes": False,
    "--pre": False,
    "--trusted-host": True,
    "--use-feature": True,
    # Per-requirement options (scoped to the requirement on the same line).
    "--global-option": True,
    "--hash": True,
    "--config-settings": True,
}
_SHORT = {
    "-r": "--requirement",
    "-c": "--constraint",
    "-e": "--editable",
    "-i": "--index-url",
    "-f": "--find-links",
    "-C": "--config-settings",
}
_STRONG_HASHES = ("sha256", "sha384", "sha512")
_VCS = ("git", "hg", "svn", "bzr")
_ARCHIVES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz",
             ".txz", ".tlz", ".tar.lz", ".tar.lzma")  # fmt: skip


class FieldRecord:
    __slots__: tuple[str, ...] = ()

    def __init__(self, **fields: object) -> None:
        for name in self.__slots__:
            setattr(self, name, fields.pop(name))
        if fields:
            raise TypeError(f"unexpected fields: {sorted(fields)}")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, n) == getattr(other, n) for n in self.__slots__
        )

    def __repr__(self) -> str:
        body = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({body})"


class RequirementLine(FieldRecord):
    """One requirement as pip would collect it.

    ``text``: the requirement as written (after ``${VAR}`` expansion, without its
    ``--hash`` options); ``name``: canonical project name, None for an unnamed path/URL;
    ``specifier``: e.g. ``"==1.0"`` (a wheel path or URL gives ``==`` its version);
    ``url``: the direct URL or path, for ``name @ url``, bare URLs/paths and editables
    (relative paths are relative to the installer's working directory, as in pip and uv).
    """

    __slots__ = ("text", "file", "line", "name", "specifier", "url", "extras", "marker",
                 "hashes", "editable", "constraint")  # fmt: skip
    text: str
    file: str
    line: int
    name: str | None
    specifier: str
    url: str | None
    extras: tuple[str, ...]
    marker: str | None
    hashes: tuple[str, ...]
    editable: bool
    constraint: bool


class OptionLine(FieldRecord):
    """A global option line of a file: ``option`` in its long form (``-i`` -> ``--index-url``).

    ``value`` is None for flags (``--no-index``, ``--pre``, ``--prefer-binary``, …).
    """

    __slots__ = ("option", "value", "file", "line")
    option: str
    value: str | None
    file: str
    line: int


def logical_lines(content: str) -> Iterator[tuple[int, str]]:
    """pip's preprocess minus ${VAR} expansion: join `\\` continuations, drop comments."""
    import re

    comment = re.compile(_COMMENT)
    joined: list[tuple[int, str]] = []
    pending: list[str] = []
    first = 0
    for lineno, line in enumerate(content.splitlines(), start=1):
        is_comment = comment.match(line) is not None
        if not line.endswith("\\") or is_comment:
            # A comment line ends a continuation and is never continued itself.
            line = " " + line if is_comment else line
            if pending:
                joined.append((first, "".join([*pending, line])))
                pending = []
            else:
                joined.append((lineno, line))
        else:
            if not pending:
                first = lineno
            pending.append(line.strip("\\"))  # pip strips backslashes at both ends
    if pending:  # a `\` on the last line joins with nothing
        joined.append((first, "".join(pending)))
    for lineno, line in joined:
        line = comment.sub("", line).strip()
        if line:
            yield lineno, line


def split_line(line: str, where: str) -> tuple[str, list[tuple[str, str | None]]]:
    """pip's break_args_options + optparse: (requirement text, [(option, value)])."""
    import shlex

    # Words before the first one starting with `-` are the requirement, kept unsplit
    # (shlex would mangle the quotes of a marker); the rest are shell-split options.
    tokens = line.split(" ")
    i = next((k for k, t in enumerate(tokens) if t.startswith("-")), len(tokens))
    args, rest = " ".join(tokens[:i]).strip(), " ".join(tokens[i:])
    try:
        words = shlex.split(rest)
    except ValueError:
        raise VenvdError(f"{where}: cannot split options: {rest}") from None
    opts: list[tuple[str, str | None]] = []
    k = 0
    while k < len(words):
        word, k = words[k], k + 1
        if word == "--":
            break
        if not word.startswith("-") or word == "-":
            continue  # optparse leaves positional words over; pip ignores them
        value: str | None
        if word.startswith("--"):
            name, eq, value = word.partition("=")
            matches = [o for o in _OPTIONS if o == name] or [
                o for o in _OPTIONS if o.startswith(name)  # optparse takes unique prefixes
            ]
            if len(matches) != 1:
                raise VenvdError(f"{where}: unknown or ambiguous option {name}: {line}")
            option = matches[0]
            if not eq:
                value = None
            elif not _OPTIONS[option]:
                raise VenvdError(f"{where}: {option} takes no value: {line}")
        else:
            option = _SHORT.get(word[:2], "")
            if not option:
                raise VenvdError(f"{where}: unknown option {word[:2]}: {line}")
            value = word[2:] or None
        if _OPTIONS[option] and value is None:
            if k >= len(words):
                raise VenvdError(f"{where}: {option} needs a value: {line}")
            value, k = words[k], k + 1
        if option == "--pypi-url":
            option = "--index-url"
        if option == "--hash":
            algo, _, digest = (value or "").partition(":")
            if algo not in _STRONG_HASHES or not digest:
                raise VenvdError(f"{where}: --hash must be sha256:<hex> (or sha384/sha512)")
        opts.append((option, value))
    return args, opts


def requirement(text: str, editable: bool, file: str, line: int, where: str,
                 hashes: tuple[str, ...], constraint: bool) -> RequirementLine:  # fmt: skip
    """Classify one requirement the way pip's constructors do (without touching disk)."""
    from packaging.markers import InvalidMarker, Marker
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    name: str | None = None
    specifier = ""
    url: str | None = None
    extras: tuple[str, ...] = ()
    marker: str | None = None
    body = text
    try:
        if editable:
            # `-e ./pkg[extra]` or `-e git+https://…#egg=name`: never a marker.
            url, extras = _strip_extras(text)
            name = _name_from_link(url)
        else:
            is_url = _is_url(text)
            # pip splits a bare URL's marker on "; " (a URL may hold ";"), others on ";".
            sep = "; " if is_url else ";"
            if sep in text:
                body, raw_marker = text.split(sep, 1)
                marker = str(Marker(raw_marker.strip())) if raw_marker.strip() else None
            body = body.strip()
            path, path_extras = _strip_extras(body)
            before_at = body.split("@", 1)[0]
            named_url = "@" in body and not _looks_like_path(before_at)
            if is_url or (not named_url and (_looks_like_path(body) or _is_archive(path))):
                url, extras = (body, ()) if is_url else (path, path_extras)
                name = _name_from_link(url)
                version = _wheel_version(url)
                specifier = f"=={version}" if version else ""
            else:
                req = Requirement(body)
                name, url = req.name, req.url
                specifier, extras = str(req.specifier), tuple(sorted(req.extras))
        if name is not None:
            name = canonicalize_name(name)
    except (InvalidRequirement, InvalidMarker) as e:
        raise VenvdError(f"{where}: invalid requirement {text!r}: {e}") from None
    return RequirementLine(text=text, file=file, line=line, name=name, specifier=specifier,
                           url=url, extras=extras, marker=marker, hashes=hashes,
                           editable=editable, constraint=constraint)  # fmt: skip


def _is_url(text: str) -> bool:
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    return scheme in ("http", "https", "file", "ftp") or (
        "+" in scheme and scheme.split("+", 1)[0] in _VCS
    )


def _looks_like_path(text: str) -> bool:
    return "/" in text or os.sep in text or text.startswith(".")


def _is_archive(text: str) -> bool:
    return text.lower().endswith(_ARCHIVES)


def _strip_extras(text: str) -> tuple[str, tuple[str, ...]]:
    """``./pkg[a,b]`` -> (``./pkg``, (a, b)); as pip's _strip_extras."""
    if text.endswith("]") and "[" in text:
        head, _, extras = text[:-1].rpartition("[")
        if head and "]" not in extras:
            return head, tuple(sorted(e.strip().lower() for e in extras.split(",") if e.strip()))
    return text, ()


def _link_path(url: str) -> str:
    """The path part of a URL or path, without query or fragment."""
    return url.split("#", 1)[0].split("?", 1)[0]


def _wheel_version(url: str) -> str | None:
    path = _link_path(url)
    if not path.lower().endswith(".whl"):
        return None
    parts = path.replace("\\", "/").rsplit("/", 1)[-1][:-4].split("-")
    return parts[1] if len(parts) >= 5 else None


def _name_from_link(url: str) -> str | None:
    path = _link_path(url)
    if path.lower().endswith(".whl"):
        parts = path.replace("\\", "/").rsplit("/", 1)[-1].split("-")
        if len(parts) >= 5:
            return parts[0]
    fragment = url.split("#", 1)[1] if "#" in url else ""
    for item in fragment.split("&"):
        key, _, value = item.partition("=")
        if key == "egg" and value:
            return value.split("[", 1)[0]
    return None


def is_wheel(url: str) -> bool:
    return _link_path(url).lower().endswith(".whl")


def is_vcs_at_commit(url: str) -> bool:
    """``git+https://host/repo@<40 hex>`` (a full commit names one tree)."""
    if not _is_url(url) or "+" not in url.split(":", 1)[0]:
        return False
    rev = _link_path(url).rsplit("/", 1)[-1].rpartition("@")[2]
    return len(rev) in (40, 64) and all(c in "0123456789abcdef" for c in rev.lower())


def is_exact(specifier: str) -> bool:
    parts = [s.strip() for s in specifier.split(",") if s.strip()]
    if len(parts) != 1:
        return False
    spec = parts[0]
    if spec.startswith("==="):
        return True
    return spec.startswith("==") and "*" not in spec


def local_path(target: str) -> str | None:
    """A local path for a path or ``file:`` URL; None for any other URL."""
    if target.lower().startswith("file:"):
        from urllib.parse import unquote, urlsplit

        parts = urlsplit(target)
        if parts.netloc not in ("", "localhost"):
            return None
        path = unquote(parts.path)
        if os.name == "nt" and len(path) > 2 and path[0] == "/" and path[2] == ":":
            path = path[1:]  # file:///C:/x -> C:/x
        return path
    if _is_url(target):
        return None
    return _strip_extras(target)[0]
