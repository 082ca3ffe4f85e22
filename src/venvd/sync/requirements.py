"""Requirements files read the way pip reads them (pip's ``req_file.py``).

We never install from this parse: pip or uv gets the top-level file itself. The parse
answers two questions exactly as the installer would see them: which files and
``${VARS}`` feed the fingerprint, and whether the set is fully pinned (exact sync) or
loose (additive install).

Module level imports nothing but ``os``: this runs on the prompt path. ``re``, ``shlex``
and ``packaging`` are imported inside the functions that need them.
"""

from __future__ import annotations

import os

from venvd.errors import VenvdError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator, Mapping

# pip's rules, verbatim: a comment is `#` at line start or after whitespace (so the `#`
# of `…whl#sha256=…` or `…#egg=foo` is not one); only `${NAME}` with NAME in [A-Z0-9_]
# is expanded (never `$NAME`), and only when the variable is set and non-empty.
_COMMENT = r"(^|\s+)#.*$"
_ENV_VAR = r"\$\{([A-Z0-9_]+)\}"

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
# Files read for one top-level file, counting a file included again (pip reads it again).
MAX_READS = 1000
_VCS = ("git", "hg", "svn", "bzr")
_ARCHIVES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz",
             ".txz", ".tlz", ".tar.lz", ".tar.lzma")  # fmt: skip


class _Record:
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


class RequirementLine(_Record):
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


class OptionLine(_Record):
    """A global option line of a file: ``option`` in its long form (``-i`` -> ``--index-url``).

    ``value`` is None for flags (``--no-index``, ``--pre``, ``--prefer-binary``, …).
    """

    __slots__ = ("option", "value", "file", "line")
    option: str
    value: str | None
    file: str
    line: int


class RequirementsSet(_Record):
    """Everything reached from one top-level requirements file.

    ``files``: every local file reached, absolute, first-reached order, top file first,
    constraint files included; ``urls``: includes that are http(s) URLs (recorded, never
    fetched); ``variables``: sorted names of the ``${VARS}`` referenced, set or not.
    """

    __slots__ = ("files", "urls", "requirements", "options", "variables")
    files: list[str]
    urls: list[str]
    requirements: list[RequirementLine]
    options: list[OptionLine]
    variables: list[str]


def parse_requirements(path: str, environ: Mapping[str, str] | None = None) -> RequirementsSet:
    """Parse ``path`` and its ``-r``/``-c`` includes; ``${VARS}`` come from ``environ``.

    Raises VenvdError for a missing file, an include cycle, an option pip would refuse,
    or a requirement packaging cannot parse (with file:line and the text).
    """
    top = os.path.abspath(path)
    if not os.path.exists(top):  # not isfile: a FIFO there is safeio's line, not "not found"
        raise VenvdError(f"requirements file not found: {top}")
    parser = _Parser(os.environ if environ is None else environ, os.path.dirname(top))
    parser.parse(top, constraint=False, stack=[])
    return RequirementsSet(
        files=parser.files,
        urls=parser.urls,
        requirements=parser.requirements,
        options=parser.options,
        variables=sorted(parser.variables),
    )


def is_pinned(rs: RequirementsSet, project_dir: str | None = None) -> bool:
    """True when every non-constraint requirement is pinned to one exact artifact.

    Pinned: ``name==1.2.3`` (no wildcard), ``name===x``, a wheel by path or URL, or a VCS
    URL at a full commit hash. The only editable allowed is the project itself:
    ``project_dir`` (default: the top file's directory) is the installer's working
    directory, which is what pip and uv resolve relative paths against. A set without
    requirements is not pinned: an exact sync of it would empty the venv.
    """
    reqs = [r for r in rs.requirements if not r.constraint]
    if not reqs:
        return False
    project = os.path.abspath(project_dir or os.path.dirname(rs.files[0]))
    for req in reqs:
        if req.editable:
            local = _local_path(req.url or "")
            if local is None or os.path.abspath(os.path.join(project, local)) != project:
                return False
        elif req.url is not None:
            if not (_is_wheel(req.url) or _is_vcs_at_commit(req.url)):
                return False
        elif not _exact(req.specifier):
            return False
    return True


# The first lines pip-compile and uv pip compile write: their output is the resolver's
# closure of the inputs, every dependency pinned (each with "# via" its dependents).
_COMPILED_HEADERS = ("# this file is autogenerated by pip-compile", "# this file was autogenerated by uv")


def _compiled(path: str) -> bool:
    from venvd.safeio import LIMIT_TEXT, read_optional

    try:
        data = read_optional(path, LIMIT_TEXT)
    except VenvdError:
        return False
    if data is None:
        return False
    head = data[:4096].decode("utf-8", "replace").lower().splitlines()[:10]
    return any(line.strip().startswith(_COMPILED_HEADERS) for line in head)


def is_lock(rs: RequirementsSet, project_dir: str | None = None) -> bool:
    """True when the set is a complete lock: closed under its dependencies, so installing
    exactly these lines (``uv pip sync``) gives a working env.

    A file that pins only its top-level packages is not one (its dependencies would be
    missing). Only two things prove closure without resolving: every requirement carries
    ``--hash`` (pip's hash-checking mode refuses any dependency that is not listed and
    hashed), or the requirement comes from pip-compile / uv pip compile output (their
    header says so); either way every line must be pinned (``is_pinned``).
    """
    if not is_pinned(rs, project_dir):
        return False
    headers: dict[str, bool] = {}
    for req in rs.requirements:
        if req.constraint or req.hashes:
            continue
        if req.file not in headers:
            headers[req.file] = _compiled(req.file)
        if not headers[req.file]:
            return False
    return True


class _Parser:
    def __init__(self, environ: Mapping[str, str], root: str) -> None:
        self.environ = environ
        self.root = root  # only for shorter paths in messages
        self.files: list[str] = []
        self.urls: list[str] = []
        self.requirements: list[RequirementLine] = []
        self.options: list[OptionLine] = []
        self.variables: set[str] = set()
        self.reads = 0  # files read so far, includes read again counted again

    def show(self, path: str) -> str:
        try:
            rel = os.path.relpath(path, self.root)
        except ValueError:  # another drive on Windows
            return path
        return path if rel.startswith("..") else rel

    def parse(self, path: str, constraint: bool, stack: list[tuple[str, str]]) -> None:
        # pip parses a file again each time it is included (a diamond is not an error);
        # `files` lists it once.
        if path not in self.files:
            self.files.append(path)
        # The files being parsed, outermost first (real paths: a symlink can't hide a cycle).
        stack = [*stack, (os.path.realpath(path), path)]
        self.reads += 1
        if self.reads > MAX_READS:
            # A file included twice by each of its includers is read 2**depth times.
            raise VenvdError(f"requirements files include each other more than {MAX_READS} times "
                             f"(at {self.show(path)}); is that intended?")
        for lineno, line in _logical_lines(_read(path, self.show(path))):
            line = self.expand(line)
            where = f"{self.show(path)}:{lineno}"
            args, opts = _split_line(line, where)
            if args:  # a requirement line: only per-requirement options count
                hashes = tuple(v for o, v in opts if o == "--hash")
                self.requirements.append(
                    _requirement(args, False, path, lineno, where, hashes, constraint)
                )
                continue
            names = [o for o, _ in opts]
            if "--requirement" in names or "--constraint" in names:
                # As pip: the first -r wins over -c, the rest of the line is ignored, and
                # a -r inside a constraints file includes requirements, not constraints.
                nested = "--constraint" if "--requirement" not in names else "--requirement"
                target = next(v for o, v in opts if o == nested)
                self.include(target or "", path, nested == "--constraint", stack, where)
            elif "--editable" in names:
                target = next(v for o, v in opts if o == "--editable")
                self.requirements.append(
                    _requirement(target or "", True, path, lineno, where, (), constraint)
                )
            else:
                for option, value in opts:
                    if option not in ("--hash", "--global-option", "--config-settings"):
                        self.options.append(OptionLine(option=option, value=value,
                                                       file=path, line=lineno))

    def expand(self, line: str) -> str:
        import re

        def sub(m: re.Match[str]) -> str:
            self.variables.add(m.group(1))
            return self.environ.get(m.group(1)) or m.group(0)

        return re.sub(_ENV_VAR, sub, line)

    def include(self, target: str, parent: str, constraint: bool,
                stack: list[tuple[str, str]], where: str) -> None:  # fmt: skip
        scheme = target.split(":", 1)[0].lower() if ":" in target else ""
        if scheme in ("http", "https"):
            if target not in self.urls:
                self.urls.append(target)
            return
        if scheme == "file":
            local = _local_path(target)
            path = os.path.abspath(local) if local else target
        else:
            path = os.path.abspath(os.path.join(os.path.dirname(parent), target))
        reals = [real for real, _ in stack]
        if os.path.realpath(path) in reals:
            start = reals.index(os.path.realpath(path))
            chain = [self.show(p) for _, p in stack[start:]] + [self.show(path)]
            raise VenvdError(f"requirements files include each other: {' -> '.join(chain)}")
        if not os.path.exists(path):  # a FIFO or device is refused by _read with its own line
            raise VenvdError(f"{where}: included file not found: {target} ({path})")
        self.parse(path, constraint, stack)


def _read(path: str, shown: str) -> str:
    from venvd.safeio import LIMIT_TEXT, read_bytes

    try:
        # safeio: a FIFO, a device or a file over LIMIT_TEXT is UnsafeFile, one line.
        data = read_bytes(path, LIMIT_TEXT)
    except OSError as e:
        raise VenvdError(f"cannot read requirements file {shown}: {e.strerror}") from None
    # As pip's auto_decode: a BOM first, then a PEP 263 coding line; we default to UTF-8
    # where pip uses the locale's encoding (UTF-8 nearly everywhere). UTF-32 LE is tested
    # before UTF-16 LE, whose BOM is its prefix.
    boms = [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"),
            (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
            (b"\xfe\xff", "utf-16-be")]  # fmt: skip
    encoding = "utf-8"
    for bom, name in boms:
        if data.startswith(bom):
            data, encoding = data[len(bom) :], name
            break
    else:
        import re

        for first in data.split(b"\n")[:2]:
            m = re.search(rb"coding[:=]\s*([-\w.]+)", first)
            if first[:1] == b"#" and m:
                encoding = m.group(1).decode("ascii")
                break
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as e:
        raise VenvdError(f"cannot decode requirements file {shown} as {encoding}: {e}") from None


def _logical_lines(content: str) -> Iterator[tuple[int, str]]:
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


def _split_line(line: str, where: str) -> tuple[str, list[tuple[str, str | None]]]:
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


def _requirement(text: str, editable: bool, file: str, line: int, where: str,
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


def _is_wheel(url: str) -> bool:
    return _link_path(url).lower().endswith(".whl")


def _is_vcs_at_commit(url: str) -> bool:
    """``git+https://host/repo@<40 hex>`` (a full commit names one tree)."""
    if not _is_url(url) or "+" not in url.split(":", 1)[0]:
        return False
    rev = _link_path(url).rsplit("/", 1)[-1].rpartition("@")[2]
    return len(rev) in (40, 64) and all(c in "0123456789abcdef" for c in rev.lower())


def _exact(specifier: str) -> bool:
    parts = [s.strip() for s in specifier.split(",") if s.strip()]
    if len(parts) != 1:
        return False
    spec = parts[0]
    if spec.startswith("==="):
        return True
    return spec.startswith("==") and "*" not in spec


def _local_path(target: str) -> str | None:
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
