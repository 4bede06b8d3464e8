"""Reading a text edge list: what kind of file it is, its separator, its two id columns.

Ids are read as text here; whether they are integers is decided later, over the whole file
(see ``edgelist_ids``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from scoresim.core.errors import InputError
from scoresim.society.edgelist_blocks import BOM, normalised_blocks, raw_blocks

__all__ = ["bare", "is_header", "read_text", "sniff"]

#: Leading bytes of files that are not text edge lists, with what to tell the user.
_NOT_TEXT = {
    b"\x1f\x8b": "a gzip-compressed file; decompress it first",
    b"BZh": "a bzip2-compressed file; decompress it first",
    b"\xfd7zXZ\x00": "an xz-compressed file; decompress it first",
    b"\x28\xb5\x2f\xfd": "a zstd-compressed file; decompress it first",
    b"PK\x03\x04": "a zip archive (or a spreadsheet); export the edge list as CSV",
    b"\xff\xfe": "UTF-16 text; save it as UTF-8",
    b"\xfe\xff": "UTF-16 text; save it as UTF-8",
}
_PARQUET_MAGIC = b"PAR1"
#: A number, integer or decimal: a decimal id is refused rather than truncated.
_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_NUMBER_RE = re.compile(_NUMBER, re.ASCII)
_HEAD = 1 << 16  # bytes read to tell the format and separator


def sniff(path: Path) -> tuple[str, int]:
    """The kind of file (``"parquet"``, or a text file's separator) and bytes to skip.

    Told from the first bytes. The bytes to skip are lines of blanks before the first row,
    which pyarrow would take for a row of one column (0 if there are none).

    Raises:
        InputError: An empty or blank file, or a compressed or UTF-16 one.
    """
    with path.open("rb") as fh:
        head = fh.read(_HEAD)
    if head.startswith(_PARQUET_MAGIC):
        return "parquet", 0  # by content, not by name: a Parquet file named .csv still reads
    if path.suffix.lower() in (".parquet", ".pq"):
        raise InputError(f"{path}: cannot read edge list: not a Parquet file (no PAR1 header)")
    for magic, what in _NOT_TEXT.items():
        if head.startswith(magic):
            raise InputError(f"{path}: cannot read edge list: it is {what}")
    if not head:
        raise InputError(f"{path}: cannot read edge list: the file is empty")
    body = head.removeprefix(BOM)
    blank = re.match(rb"(?:[ \t\v\f]*(?:\r\n|\r|\n))*", body)
    start = blank.end() if blank else 0
    line = re.split(rb"\r\n|\r|\n", body[start:], maxsplit=1)[0]
    if not line.strip():
        if len(head) == _HEAD:
            raise InputError(f"{path}: cannot read edge list: no data in its first 64 KiB")
        raise InputError(f"{path}: cannot read edge list: the file has only blank lines")
    skip = len(head) - len(body) + start if body[:start].strip(b"\r\n") else 0
    if line.lstrip().startswith(b"#"):
        raise InputError(
            f"{path}: cannot read edge list: its first line starts with '#'; comment lines "
            "are not supported (only a header row): delete them"
        )
    line = line.strip()  # a tab before the first field or after the last separates nothing
    return ("," if b"," in line else ("\t" if b"\t" in line else " ")), skip


def _skip_blank_row(row: Any) -> str:
    """Skip rows of only blanks in a comma-separated file; any other bad row is an error."""
    return "skip" if not str(row.text).strip() else "error"


def read_text(path: Path, sep: str, skip: int) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """First two fields of every row, as strings (header not yet removed).

    The second is all null when the file has a single column.

    Args:
        path: The file.
        sep: Its separator: a comma, a tab or a space (runs of blanks).
        skip: Leading bytes to drop (lines of blanks only).
    """
    source: Any = path
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(-1, 2)
        ends_a_line = fh.read(1) in (b"\n", b"\r")
    if sep != "," or skip or not ends_a_line:
        # pyarrow takes one byte as separator: runs of blanks are made single ones first.
        # It also cannot count the columns of a first line without a line end.
        blocks = list(normalised_blocks(path, sep == "\t") if sep != "," else raw_blocks(path))
        blocks[0] = blocks[0][skip:] if sep == "," else blocks[0]
        if not blocks[-1].endswith((b"\n", b"\r")):
            blocks.append(b"\n")
        source = pa.py_buffer(b"".join(blocks))
        size = source.size
    else:
        for _ in raw_blocks(path):  # streamed: only checked here, pyarrow reads the file
            pass
    convert = pacsv.ConvertOptions(
        column_types={"f0": pa.string(), "f1": pa.string()},
        include_columns=["f0", "f1"],
        include_missing_columns=True,
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    parse = pacsv.ParseOptions(delimiter=sep, invalid_row_handler=_skip_blank_row)
    for block_size in (1 << 20, min(size + 1, 1 << 30)):
        reader = pa.BufferReader(source) if isinstance(source, pa.Buffer) else source
        read = pacsv.ReadOptions(autogenerate_column_names=True, block_size=block_size)
        try:
            table = pacsv.read_csv(
                reader, read_options=read, parse_options=parse, convert_options=convert
            )
            return table.column("f0"), table.column("f1")
        except pa.ArrowInvalid as exc:
            # A row longer than a block: read again in one block as large as the file.
            too_long = "straddl" in str(exc) or "Empty CSV file or block" in str(exc)
            if too_long and block_size < size + 1:
                continue
            if "UTF8" in str(exc):
                raise InputError(f"{path}: cannot read edge list: the text is not UTF-8") from None
            raise
    raise InputError(f"{path}: cannot read edge list: a row is longer than 1 GiB")


def bare(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text ids without surrounding blanks, nor quotes that CSV parsing left (``1, "2"``)."""
    col = pc.utf8_trim_whitespace(col)
    if pc.any(pc.starts_with(col, "\ufeff")).as_py():  # a BOM inside: files joined by `cat`
        col = pc.utf8_trim_whitespace(pc.replace_substring_regex(col, "^\ufeff", ""))
    if pc.any(pc.starts_with(col, '"')).as_py():
        col = pc.utf8_trim_whitespace(pc.replace_substring_regex(col, r'^"(.*)"$', r"\1"))
    return col


def is_header(first: Any, second: Any) -> bool:
    """Whether a text file's first row names the columns: neither of its fields is a number.

    Quotes, a BOM and blanks are already gone; a decimal first row is data (and refused
    later), so that a tie is never dropped as if it were a header.
    """
    return not any(_NUMBER_RE.fullmatch(str(v or "")) for v in (first, second))
