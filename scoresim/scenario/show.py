"""Keys, key paths and values as they are shown in a one-line message."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

#: A key shown as it is written; any other is quoted.
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]{1,60}")


def plain_number(x: Any) -> Any:
    """``x``, a float that is a whole number made an int (``20``, not ``20.0``)."""
    return int(x) if isinstance(x, float) and x.is_integer() else x


def show_key(key: Any) -> str:
    """A key as it can be shown on one line: bare if it is a plain name, else quoted, short."""
    text = str(key)
    if _BARE_KEY.fullmatch(text):
        return text
    if len(text) > 40:
        text = text[:37] + "..."
    # Invisible and line-breaking characters are written as escapes, so the key stays
    # visible and the message one line.
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text) + '"'


def show_path(parts: Iterable[Any]) -> str:
    """A key path as dotted keys, each as :func:`show_key` shows it."""
    return ".".join(show_key(p) for p in parts) or "(top level)"


def show_value(value: Any) -> str:
    """A value as JSON, cut to 80 characters (long text and lists are cut before)."""
    if isinstance(value, str) and len(value) > 100:
        value = value[:100]
    elif isinstance(value, list | tuple) and len(value) > 20:
        value = list(value[:20])
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def one_line(text: str, limit: int = 2000) -> str:
    """``text`` with every line break made a space, cut to ``limit`` characters."""
    line = " ".join(text.splitlines())
    return line if len(line) <= limit else line[: limit - 3] + "..."
