"""Every error trackreport reports to a user, each with the exit code the command line gives it
(MkDocs' ``exceptions.py`` idea): the CLI catches :class:`TrackreportError`, prints its message
as one line and exits with its ``exit_code``. A leaf module: it imports nothing of the package.

Exit codes (documented in ``--help`` and the README):

- ``0`` done (possibly with warnings)
- ``1`` internal error (one line; ``-v`` for details)
- ``2`` bad usage, unreadable store, bad config, unusable output folder, publish refused
- ``3`` publish: push rejected (the remote branch moved on)
- ``4`` publish: push failed (authentication, network)
- ``130`` interrupted
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_REJECTED = 3
EXIT_PUSH_FAILED = 4
EXIT_INTERRUPTED = 130


class TrackreportError(Exception):
    """An error for the user (never a traceback): its message is one line."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class StoreError(TrackreportError):
    """The store cannot be read at all (missing, unreadable, unknown kind)."""


class OutputError(TrackreportError):
    """The output folder cannot be used (not ours, not writable, ...)."""


class ConfigError(TrackreportError):
    """The config file or an option's value is wrong (the message names the key and line)."""


class ThemeError(TrackreportError, FileNotFoundError):
    """A theme folder (or the default theme) is missing."""


class PublishError(TrackreportError):
    """Publishing failed; ``exit_code`` says how (2 refused, 3 rejected, 4 push failed)."""

    @property
    def code(self) -> int:  # the name publish's callers used
        return self.exit_code
