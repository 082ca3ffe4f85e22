"""Whose files venvd acts on: the checks ssh's StrictModes makes, for projects, venvs and
the trust store.

A directory (or file) passes when it is owned by the user or by root, is not writable by
others, and is writable by its group only when that group is the owner's alone: no user
but the owner has it as primary group or lists it as a member. That exception is the one
Debian's OpenSSH makes for user-private groups (``useradd`` gives each user a group of
their own, and a umask of 002 then makes every new directory group-writable); any other
group-writable directory lets another user swap what venvd would run.

Only ``os`` and ``stat`` at import: this runs on every directory change. ``pwd``/``grp``
are loaded only for a group-writable directory or to name an owner in a refusal.
"""

from __future__ import annotations

import os
import stat

from .errors import VenvdError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional


class Refused(VenvdError):
    """A project, venv or trust store another user could change: not used."""


def _user_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _group_name(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return f"gid {gid}"


_private_groups: "dict[tuple[int, int], bool]" = {}  # (gid, owner) -> answer, for this process


def _group_is_owners_alone(gid: int, owner: int) -> bool:
    """The group has exactly one member, the owner (primary or supplementary). Asked once
    per process: with umask 002 every directory on the path is group-writable, and reading
    the user database once per directory would cost on every directory change."""
    key = (gid, owner)
    if key not in _private_groups:
        import grp
        import pwd

        try:
            group = grp.getgrgid(gid)
            owner_name = pwd.getpwuid(owner).pw_name
        except KeyError:
            _private_groups[key] = False
        else:
            members = set(group.gr_mem)
            members.update(entry.pw_name for entry in pwd.getpwall() if entry.pw_gid == gid)
            _private_groups[key] = members == {owner_name}
    return _private_groups[key]


def problem(path: str, st: "Optional[os.stat_result]" = None) -> "Optional[str]":
    """Why *path* must not be trusted (``"owned by mallory"``, ``"writable by others
    (mode 0777)"``), or None when it is safe. Follows symlinks: what counts is the file
    that would be used."""
    if not hasattr(os, "geteuid"):
        return None  # Windows: ACLs, not mode bits; not checked
    if st is None:
        st = os.stat(path)
    me = os.geteuid()
    if st.st_uid != me and st.st_uid != 0:
        return f"owned by {_user_name(st.st_uid)}, not by you"
    mode = stat.S_IMODE(st.st_mode)
    if mode & stat.S_IWOTH:
        return f"writable by others (mode {mode:04o})"
    if mode & stat.S_IWGRP and not _group_is_owners_alone(st.st_gid, st.st_uid):
        return f"writable by group {_group_name(st.st_gid)} (mode {mode:04o}), which has other members"
    return None


def check(path: str, what: str = "") -> None:
    """Raise Refused naming *path* (after *what*, e.g. "the trust store") and why, when it
    fails ``problem``; a missing path passes (there is nothing to use yet)."""
    from .ui import display_path

    shown = f"{what} {display_path(path)}" if what else display_path(path)
    try:
        why = problem(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise Refused(f"cannot check {shown}: {exc.strerror}") from None
    if why is not None:
        raise Refused(f"{shown} is {why}; venvd does not use what another user can change "
                      "(fix its owner or mode, e.g. chmod go-w)")


def chain(root: str, bindir: str) -> "list[str]":
    """The real directories from the project *root* down to the venv's *bindir*: the root,
    each directory between, the venv and its bin. A venv outside the project (a symlink,
    ``UV_PROJECT_ENVIRONMENT``) adds its own directory and bin after the root."""
    real_root = os.path.realpath(root)
    real_bin = os.path.realpath(bindir)
    dirs = [real_root]
    prefix = real_root.rstrip(os.sep) + os.sep
    if real_bin.startswith(prefix):
        current = real_root
        for part in real_bin[len(prefix):].split(os.sep):
            current = os.path.join(current, part)
            dirs.append(current)
    else:
        dirs += [os.path.dirname(real_bin), real_bin]
    return dirs


def check_project(root: str, bindir: str) -> None:
    """Refuse a project or venv another user could change (see the module docstring)."""
    for directory in chain(root, bindir):
        check(directory)
