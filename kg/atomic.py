"""Files replaced whole: a reader sees the old content or the new, never a short file.

The new content is written beside the file under a hidden name and renamed over it
(`os.replace`, atomic on POSIX). A failure, or a kill, leaves the old file; the temporary
file is removed on a failure. Its name is fixed for a writer that holds the data
directory's write lock, so what a killed writer leaves (up to the size of the links graph's
state file) is overwritten by the next, never piled up; it is unique per writer for the
pointers two processes may replace at once, which are a line each. Not fsynced: the promise
holds for a killed process, not for a power cut.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def replacing(path: Path, binary: bool = True, shared: bool = False) -> Iterator[IO]:
    """A file written beside `path` that replaces it when the block ends well (else is removed).
    `shared`: other processes may replace `path` at the same time (a unique temporary name)."""
    unique = f".{uuid.uuid4().hex}" if shared else ""
    temporary = path.with_name(f".{path.name}{unique}.tmp")
    try:
        with open(temporary, "wb") if binary else open(temporary, "w", encoding="utf-8") as handle:
            yield handle
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def replace_text(path: Path, text: str) -> None:
    """Replace a pointer (one line) whole; other processes may be replacing it too."""
    with replacing(path, binary=False, shared=True) as handle:
        handle.write(text)
