"""A text edge list's bytes in blocks: checked to be UTF-8, and with blanks made separators.

pyarrow takes one byte as separator, so files separated by runs of spaces and tabs are
rewritten block by block (cut at line ends) before it parses them.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from scoresim.core.errors import InputError

__all__ = ["BOM", "normalised_blocks", "raw_blocks"]

BOM = b"\xef\xbb\xbf"
#: Whitespace-separated files are normalised in blocks of this size, cut at line ends.
_BLOCK = 1 << 24


def _collapse_blanks(data: bytes, tab: bool) -> bytes:
    """Make runs of spaces and tabs single separators, and drop them at line ends.

    Vectorised over the whole block, so that millions of lines cost a few numpy passes.

    Args:
        data: Whole lines of the file.
        tab: Tab-separated: only runs that hold a tab separate fields (so ids may hold
            spaces), except on lines without a tab; otherwise every run does.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    pos = np.flatnonzero((buf == 0x20) | (buf == 0x09))
    if pos.size == 0:
        return data
    new_run = np.empty(pos.size, dtype=bool)
    new_run[0] = True
    np.not_equal(np.diff(pos), 1, out=new_run[1:])
    first = np.flatnonzero(new_run)  # index into pos of each run's first byte
    start = pos[first]
    stop = np.append(pos[first[1:] - 1], pos[-1]) + 1
    before = buf[np.maximum(start - 1, 0)]
    after = buf[np.minimum(stop, buf.size - 1)]
    # Leading and trailing blanks are no separator: "  1 2 \r\n" has two fields.
    at_end = (start == 0) | (before == 0x0A) | (before == 0x0D)
    at_end |= (stop == buf.size) | (after == 0x0A) | (after == 0x0D)
    separates = np.ones(first.size, dtype=bool)
    if tab:
        # A run holding a tab separates; so does any run on a line without a tab.
        separates = np.add.reduceat((buf[pos] == 0x09).astype(np.int64), first) > 0
        if not separates.all():
            line_ends = np.flatnonzero((buf == 0x0A) | (buf == 0x0D))
            line = np.searchsorted(line_ends, start)
            tabbed = np.zeros(line_ends.size + 1, dtype=bool)
            tabbed[line[separates & ~at_end]] = True  # blanks at line ends do not count
            separates |= ~tabbed[line]
    collapse = separates & ~at_end
    run = np.cumsum(new_run) - 1
    keep = np.ones(buf.size, dtype=bool)
    keep[pos[at_end[run] | (collapse[run] & ~new_run)]] = False
    out = buf.copy()
    out[start[collapse]] = 0x09 if tab else 0x20
    return out[keep].tobytes()


def raw_blocks(path: Path) -> Iterator[bytes]:
    """The file's bytes in blocks, refused at the first line that is not UTF-8.

    Checked before pyarrow parses anything: its handler of bad rows fails (outside our
    reach, printing a traceback) on a row that is not UTF-8.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                line += block.count(b"\n", 0, max(exc.start, 0))
                break
            line += block.count(b"\n")
            yield block
        else:
            try:
                decoder.decode(b"", final=True)
                return
            except UnicodeDecodeError:
                pass
    raise InputError(f"{path}: cannot read edge list: the text is not UTF-8 (line {line})")


def normalised_blocks(path: Path, tab: bool) -> Iterator[bytes]:
    """The file in blocks of whole lines, BOM removed, blanks collapsed."""
    pending: list[bytes] = []
    head = True
    for raw in raw_blocks(path):
        block = raw.removeprefix(BOM) if head else raw
        head = False
        cut = block.rfind(b"\n") + 1
        if cut == 0:  # one long line so far: a run of blanks must not be cut in two
            pending.append(block)
            continue
        pending.append(block[:cut])
        yield _collapse_blanks(b"".join(pending), tab)
        pending = [block[cut:]]
    yield _collapse_blanks(b"".join(pending), tab)
