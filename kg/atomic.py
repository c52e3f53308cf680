"""Files replaced whole: a reader sees the old content or the new, never a short file.

The new content is written beside the file under a hidden name unique to this writer (two
processes may replace one pointer at once) and renamed over it (`os.replace`, atomic on
POSIX). A failure, or a kill, leaves the old file; the temporary file is removed on a
failure, and a killed writer's is harmless, being hidden and never read.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def replacing(path: Path, binary: bool = True) -> Iterator[IO]:
    """A file written beside `path` that replaces it when the block ends well (else is removed)."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "wb") if binary else open(temporary, "w", encoding="utf-8") as handle:
            yield handle
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def replace_text(path: Path, text: str) -> None:
    """Replace a small text file (a pointer, a stamp) whole."""
    with replacing(path, binary=False) as handle:
        handle.write(text)
