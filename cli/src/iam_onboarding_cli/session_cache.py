"""MFA sessions cached on disk: files of mode 0600 in a directory of mode 0700, read only when ours.

The admin commands (`mfa.py`) and `credential-process` keep their sessions here. Standard library only,
and only modules that load fast: `credential-process` answers every AWS CLI command from this module, so
nothing here imports botocore, pathlib, dataclasses or typing at run time (each costs milliseconds that
the AWS CLI would pay per command).
"""

from __future__ import annotations

import os
import stat


def cache_dir() -> str:
    """Where MFA sessions are cached: `$XDG_CACHE_HOME/iam-onboarding`, else `~/.cache/iam-onboarding`."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "iam-onboarding")


def _private(info: os.stat_result) -> bool:
    # Another user able to read (or swap) the file could have copied or planted the session.
    return info.st_uid == os.getuid() and not stat.S_IMODE(info.st_mode) & 0o077


def read_private(path: str) -> str | None:
    """The file's text, or None when there is none or it is not safe to use (not ours, or not private)."""
    try:
        if not _private(os.stat(os.path.dirname(path))):
            return None
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(descriptor, encoding="utf-8") as file:
        try:
            # The opened file itself, not the path: it cannot be swapped between the check and the read.
            return file.read() if _private(os.fstat(descriptor)) else None
        except (OSError, UnicodeDecodeError):
            return None


def write_private(path: str, text: str) -> None:
    """Write `text` with mode 0600 in a 0700 directory, atomically: a reader sees the old file or the new."""
    import tempfile  # only when a session is new: the cached path does without it

    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)  # a directory made before (or by hand) with a wider mode
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".session-")  # mode 0600
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
