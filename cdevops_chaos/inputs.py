"""Reading an input file's bytes safely: regular files only, within a size budget, bounded time.

Whatever a person (or a fuzzer) points the tool at, reading it must end quickly with either the
bytes or one ``Problem``: a FIFO would block ``open`` forever, ``/dev/zero`` and ``/dev/urandom``
never end, a multi-megabyte file makes the pure-Python YAML scanner crawl, and a file name with a
newline or another control character would forge extra lines in every located error message.
So the name is checked first, the file is opened without blocking (``O_NONBLOCK``: a FIFO with no
writer opens at once), ``fstat`` on the open descriptor decides (no check-then-open race), and
at most ``MAX_BYTES + 1`` bytes are read. Symlinks are followed: a link to a regular file is a
regular file. Used for experiment and scenario files (``experiment.source``) and journals
(``journal.store``, with a larger budget). Decoding and parsing live with the callers; this
module only hands over bytes.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from cdevops_chaos.errors import Problem

# An experiment is a few kilobytes; the largest shipped one is under 10 KB. A megabyte is two
# orders of magnitude of headroom and still scans in well under a second.
MAX_BYTES = 1024 * 1024


def display_name(path: Path) -> str:
    """The name as printed: control characters escaped, so one problem stays one line."""
    text = str(path)
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return json.dumps(text)
    return text


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def read_regular(path: Path, max_bytes: int = MAX_BYTES) -> bytes | Problem:
    """The bytes of ``path``, or the one problem that refuses it (nothing else is raised)."""
    name = display_name(path)

    def problem(message: str, hint: str | None = None) -> Problem:
        return Problem(name, "", message, hint)

    if name != str(path):
        return problem(
            "the file name contains a control character (a newline?)",
            "rename the file to a name without newlines or other control characters",
        )
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        return problem("file does not exist")
    except IsADirectoryError:
        return problem("is a directory, not an input file")
    except OSError as err:
        return problem(f"cannot read the file: {err.strerror or err}")
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            return problem("is a directory, not an input file")
        if not stat.S_ISREG(info.st_mode):
            return problem(
                f"is {_kind(info.st_mode)}, not a regular file; refused without reading it",
                "point at the file itself",
            )
        if info.st_size > max_bytes:
            return problem(
                f"file is {info.st_size} bytes; an input file is at most {max_bytes} bytes",
                "an experiment is a few kilobytes: move long text out of it"
                if max_bytes == MAX_BYTES
                else None,
            )
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:  # the file may grow after fstat: read one byte past the budget
            chunk = os.read(fd, max_bytes + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            return problem(f"file is larger than {max_bytes} bytes; refused")
        return b"".join(chunks)
    except OSError as err:
        return problem(f"cannot read the file: {err.strerror or err}")
    finally:
        os.close(fd)
