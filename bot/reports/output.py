"""Writing an export to the file named by `--output`: readable by its owner only, never over a
file that is already there unless the person said --force.

An export holds a company's answers or an incident: 0600 from the first byte (the file is created
with that mode, not chmod-ed after), whatever the umask lets others read. Without --force an
existing path is refused before anything is written, so a typo cannot replace a report or a file
that has nothing to do with the bot; with --force the new file is written beside it and renamed
over it, so the path is either the old file or the whole new one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PRIVATE = 0o600


class OutputExists(Exception):
    """The path is taken and --force was not given; nothing was written."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} already exists; nothing was written (add --force to replace it)")
        self.path = path


def write_private(path: Path, data: bytes, *, force: bool = False) -> None:
    """Write `data` to `path` as a new file with mode 0600 (see the module's docstring)."""
    if not force:
        try:
            # O_EXCL: refused if anything is there, a symbolic link included (it is not followed).
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
        except FileExistsError:
            raise OutputExists(path) from None
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
        except BaseException:
            path.unlink(missing_ok=True)  # ours, half written
            raise
        return
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
