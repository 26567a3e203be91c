"""Atomic file writes, so that a reader (or a crash) never sees a half-written file, and reading a JSON file with
one clear error line.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .errors import ToMLabError


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: str | os.PathLike) -> Any:
    """The JSON value in ``path``; a missing or unreadable file, or text that is not JSON, raises one
    :class:`ToMLabError` line naming the file."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ToMLabError(f"{path}: no such file") from None
    except OSError as exc:
        raise ToMLabError(f"{path}: cannot read it ({exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ToMLabError(f"{path}: not valid JSON ({exc})") from None
