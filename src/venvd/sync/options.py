"""How one ``ensure_synced`` behaves, and what it did: passed through, never global.

Each command makes its own (the prompt the default one, ``venvd sync`` an explicit one,
``venvd exec`` a foreground one, the daemon its own) and reads ``outcome`` afterwards.
On the cd path: builtins only.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~3 ms to import: this module is on the prompt path
if TYPE_CHECKING:
    from typing import Optional

# Outcomes: unchanged, nothing, synced, failed, remembered (a failure not retried),
# interrupted, off, background, error.


class SyncOptions:
    __slots__ = ("force", "explicit", "daemon", "foreground", "verbose", "fresh", "outcome")

    def __init__(self, force: bool = False, explicit: bool = False, daemon: bool = False,
                 foreground: bool = False, verbose: bool = False) -> None:
        self.force = force  # run the installer even when the fingerprint matches
        self.explicit = explicit  # `venvd sync`: retry a failure, ignore sync = off
        self.daemon = daemon  # the daemon itself: sync here, never hand off to the background
        self.foreground = foreground  # `venvd exec`: sync here (or wait for the sync running), never hand off
        self.verbose = verbose  # `venvd sync -v`: the installer's output streams to stderr as it comes
        # The venv was created by this very call (export's resolve_target sets it): its first
        # sync runs here whatever the sync mode, since the shell is waiting for it anyway.
        self.fresh = False
        self.outcome: Optional[str] = None  # set by ensure_synced

    @property
    def here(self) -> bool:
        """The sync runs in this process, never handed to the background."""
        return self.explicit or self.daemon or self.foreground or self.fresh
