"""Import of an anonymised network topology: a file of id pairs, and nothing else.

Every id is read as text first and only then, if every id in the file is an integer,
turned into an integer of an exact type (int64, else uint64, else Python ints): a type
inferred from a sample would turn ids past 2**63 into float64, and merge them.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import reverse_cuthill_mckee

from scoresim.core.errors import InputError
from scoresim.society.network import Network

__all__ = ["read_edgelist"]

_BOM = b"\xef\xbb\xbf"
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
#: An integer id; ASCII digits only (Python's ``int`` also takes "1_000" and other scripts).
_INT = r"^[+-]?[0-9]+$"
#: A number, integer or decimal: a decimal id is refused rather than truncated.
_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_NUMBER_RE = re.compile(_NUMBER, re.ASCII)
#: A number that is not an integer (a point or an exponent).
_DECIMAL = r"^[+-]?(([0-9]+\.[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)$"
#: Control characters (C0, DEL and C1), which no printable id holds (RE2 syntax).
_CONTROL = r"[\x00-\x1f\x7f\x{80}-\x{9f}]"
#: Whitespace-separated files are normalised in blocks of this size, cut at line ends.
_BLOCK = 1 << 24
_HEAD = 1 << 16  # bytes read to tell the format and separator
_SHOWN = 40  # characters of a bad value quoted in a message
#: Longest integer id: Python refuses to parse ints of more than 4300 digits by default.
_MAX_DIGITS = 100


def _show(value: Any) -> str:
    """A bad value for a one-line message: quoted, escaped, and cut if long."""
    if not isinstance(value, str):
        return str(value)
    text = repr(value[:_SHOWN])
    return text + "..." if len(value) > _SHOWN else text


def _one_line(exc: BaseException) -> str:
    """A library's error message squeezed to one short line (it may quote file content)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:200] + "..."


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


def _raw_blocks(path: Path) -> Iterator[bytes]:
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


def _normalised_blocks(path: Path, tab: bool) -> Iterator[bytes]:
    """The file in blocks of whole lines, BOM removed, blanks collapsed."""
    pending: list[bytes] = []
    head = True
    for raw in _raw_blocks(path):
        block = raw.removeprefix(_BOM) if head else raw
        head = False
        cut = block.rfind(b"\n") + 1
        if cut == 0:  # one long line so far: a run of blanks must not be cut in two
            pending.append(block)
            continue
        pending.append(block[:cut])
        yield _collapse_blanks(b"".join(pending), tab)
        pending = [block[cut:]]
    yield _collapse_blanks(b"".join(pending), tab)


def _sniff(path: Path) -> tuple[str, int]:
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
    body = head.removeprefix(_BOM)
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


def _read_text(path: Path, sep: str, skip: int) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
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
        blocks = list(_normalised_blocks(path, sep == "\t") if sep != "," else _raw_blocks(path))
        blocks[0] = blocks[0][skip:] if sep == "," else blocks[0]
        if not blocks[-1].endswith((b"\n", b"\r")):
            blocks.append(b"\n")
        source = pa.py_buffer(b"".join(blocks))
        size = source.size
    else:
        for _ in _raw_blocks(path):  # streamed: only checked here, pyarrow reads the file
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


def _id_column(path: Path, field: pa.Field, column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A Parquet id column as integers or strings, or a refusal naming its type."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
        column = column.cast(kind)  # pandas categoricals come back as dictionaries
    if pa.types.is_integer(kind):
        return column
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column.cast(pa.large_string())
    if pa.types.is_string_view(kind):
        return column.cast(pa.large_string())
    raise InputError(
        f"{path}: column {field.name!r} has type {field.type}; node ids must be integers or text"
    )


def _read_parquet(path: Path) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """The first two columns of a Parquet file, refused unless integers or strings."""
    with pq.ParquetFile(path) as pf:
        schema = pf.schema_arrow
        if len(schema) < 2:
            raise InputError(
                f"{path}: edge list needs two columns of node ids, found {len(schema)}"
            )
        fields = [schema.field(0), schema.field(1)]
        for field in fields:  # checked before reading: a list column may be large
            kind = field.type
            if pa.types.is_dictionary(kind):
                kind = kind.value_type
            if not (
                pa.types.is_integer(kind)
                or pa.types.is_string(kind)
                or pa.types.is_large_string(kind)
                or pa.types.is_string_view(kind)
            ):
                raise InputError(
                    f"{path}: column {field.name!r} has type {field.type}; "
                    "node ids must be integers or text"
                )
        names = [f.name for f in fields]
        table = pf.read(columns=names) if names[0] != names[1] else pf.read()
    return (
        _id_column(path, fields[0], table.column(0)),
        _id_column(path, fields[1], table.column(1)),
    )


def _read_pairs(path: Path) -> tuple[pa.ChunkedArray, pa.ChunkedArray, int]:
    """The two id columns, header removed, and the file row of their first entry (1-based).

    Text ids are stripped of surrounding whitespace; an empty id is an error.
    """
    if path.is_dir():
        raise InputError(f"{path}: edge list path is a directory, not a file")
    if path.exists() and not path.is_file():  # a pipe or a device: never read, never waited on
        raise InputError(f"{path}: edge list path is not a regular file")
    if not path.is_file():
        raise InputError(f"{path}: edge list file not found")
    first_row = 1
    try:
        kind, skip = _sniff(path)
        if kind == "parquet":
            a, b = _read_parquet(path)
        else:
            a, b = _read_text(path, kind, skip)
            if a.length() and b.null_count == b.length():
                raise InputError(f"{path}: edge list needs two columns of node ids, found 1")
            a, b = _bare(a), _bare(b)
            if a.length() and _is_header(a[0].as_py(), b[0].as_py()):
                header = a[0], b[0]
                a, b, first_row = a[1:], b[1:], 2
                # Files joined with `cat` repeat their header: as a tie it would add nodes.
                again = pc.and_(pc.equal(a, header[0]), pc.equal(b, header[1]))
                if pc.any(again).as_py():
                    row = _first_row(again) + first_row
                    raise InputError(f"{path}: row {row} repeats the header row")
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read edge list: {_one_line(exc)}") from None
    if a.length() == 0:
        raise InputError(f"{path}: edge list has no ties")
    for col in (a, b):
        empty = pc.is_null(col)
        if pa.types.is_large_string(col.type) or pa.types.is_string(col.type):
            empty = pc.or_(empty, pc.equal(col, ""))
        if pc.any(empty).as_py():
            row = _first_row(empty) + first_row
            raise InputError(f"{path}: edge list has empty node ids (row {row})")
    return a, b, first_row


def _bare(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text ids without surrounding blanks, nor quotes that CSV parsing left (``1, "2"``)."""
    col = pc.utf8_trim_whitespace(col)
    if pc.any(pc.starts_with(col, "\ufeff")).as_py():  # a BOM inside: files joined by `cat`
        col = pc.utf8_trim_whitespace(pc.replace_substring_regex(col, "^\ufeff", ""))
    if pc.any(pc.starts_with(col, '"')).as_py():
        col = pc.utf8_trim_whitespace(pc.replace_substring_regex(col, r'^"(.*)"$', r"\1"))
    return col


def _is_header(first: Any, second: Any) -> bool:
    """Whether a text file's first row names the columns: neither of its fields is a number.

    Quotes, a BOM and blanks are already gone; a decimal first row is data (and refused
    later), so that a tie is never dropped as if it were a header.
    """
    return not any(_NUMBER_RE.fullmatch(str(v or "")) for v in (first, second))


def _first_row(mask: pa.ChunkedArray) -> int:
    """Index of the first true entry of a boolean column."""
    return int(np.flatnonzero(mask.to_numpy(zero_copy_only=False))[0])


def _first_bad(
    a: pa.ChunkedArray, b: pa.ChunkedArray, bad: list[pa.ChunkedArray]
) -> tuple[int, Any]:
    """Row index and value of the first bad id, in file order (row by row)."""
    rows = [_first_row(m) if pc.any(m).as_py() else a.length() for m in bad]
    col = 0 if rows[0] <= rows[1] else 1
    return rows[col], (a, b)[col][rows[col]].as_py()


def _is_text(col: pa.ChunkedArray) -> bool:
    return bool(pa.types.is_string(col.type) or pa.types.is_large_string(col.type))


def _cast_all(cols: list[pa.ChunkedArray]) -> tuple[NDArray[Any], NDArray[Any]] | None:
    """Both columns as int64 if every id fits, else as uint64 if every id fits, else None."""
    for kind in (pa.int64(), pa.uint64()):
        try:
            return cols[0].cast(kind).to_numpy(), cols[1].cast(kind).to_numpy()
        except (pa.ArrowInvalid, OverflowError):
            continue
    return None


def _exact_integers(
    path: Path, a: pa.ChunkedArray, b: pa.ChunkedArray, first_row: int
) -> tuple[NDArray[Any], NDArray[Any]] | None:
    """Both columns as integers of one exact type, or None if some id is not an integer.

    int64 where every id fits, else uint64, else an object array of Python ints: never
    float64, which cannot tell 2**63 from 2**63 + 1.

    Raises:
        InputError: An integer id of more than ``_MAX_DIGITS`` characters.
    """
    cols = [a, b]
    if any(_is_text(c) and not pc.all(pc.match_substring_regex(c, _INT)).as_py() for c in cols):
        return None
    out = _cast_all(cols)
    if out is None:
        # arrow's cast refuses "+5" (and takes "0x10", which the pattern above excludes)
        cols = [pc.replace_substring(c, "+", "") if _is_text(c) else c for c in cols]
        out = _cast_all(cols)
    if out is not None:
        return out
    # Past 64 bits: exact Python ints, converted once per distinct id.
    long = [
        pc.greater(pc.utf8_length(c), _MAX_DIGITS) if _is_text(c) else pc.is_null(c) for c in cols
    ]
    if any(pc.any(m).as_py() for m in long):
        row, value = _first_bad(a, b, long)
        raise InputError(
            f"{path}: node id {_show(value)} (row {row + first_row}) is an integer of "
            f"{len(value)} characters; integer ids may have at most {_MAX_DIGITS}"
        )
    big: list[NDArray[Any]] = []
    for col in cols:
        if _is_text(col):
            distinct = pc.unique(col)
            values = np.array([int(s) for s in distinct.to_pylist()], dtype=object)
            big.append(values[pc.index_in(col, value_set=distinct).to_numpy()])
        else:
            big.append(np.array(col.to_pylist(), dtype=object))
    return big[0], big[1]


def _declared_ids(
    path: Path, a: NDArray[Any], b: NDArray[Any], nodes: int, first_row: int
) -> NDArray[np.int64]:
    """Ids checked to be integers in ``[0, nodes)``: both columns, one after the other."""
    bad: list[NDArray[np.bool_]] = []
    for ids in (a, b):
        if ids.dtype == object:
            bad.append(np.array([not 0 <= int(x) < nodes for x in ids], dtype=bool))
        elif ids.dtype == np.uint64:
            bad.append(ids >= nodes)
        else:
            bad.append((ids < 0) | (ids >= nodes))
    if bad[0].any() or bad[1].any():
        rows = [int(np.argmax(m)) if m.any() else a.size for m in bad]
        col = 0 if rows[0] <= rows[1] else 1
        value = str((a, b)[col][rows[col]])
        value = value if len(value) <= _SHOWN else value[:_SHOWN] + "..."
        raise InputError(
            f"{path}: node id {value} is outside 0..{nodes - 1} "
            f"(society.network.nodes = {nodes}; row {rows[col] + first_row})"
        )
    return np.concatenate([a.astype(np.int64), b.astype(np.int64)])


def _text_labels(
    path: Path, a: pa.ChunkedArray, b: pa.ChunkedArray, first_row: int
) -> tuple[NDArray[np.int64], NDArray[np.generic]]:
    """Text ids of both columns renumbered in sorted order: (new ids, label of each).

    Raises:
        InputError: An id that is a decimal number, or that holds a control character.
    """
    a, b = (c.cast(pa.large_string()) for c in (a, b))
    number = [pc.match_substring_regex(c, _DECIMAL) for c in (a, b)]
    if any(pc.any(m).as_py() for m in number):
        row, value = _first_bad(a, b, number)
        raise InputError(
            f"{path}: node id {_show(value)} (row {row + first_row}) is a decimal number; "
            "node ids must be integers or text labels"
        )
    control = [pc.match_substring_regex(c, _CONTROL) for c in (a, b)]
    if any(pc.any(m).as_py() for m in control):
        row, value = _first_bad(a, b, control)
        raise InputError(
            f"{path}: node id {_show(value)} (row {row + first_row}) holds a control "
            "character; node ids must be printable text"
        )
    # Comment lines are not supported; read as ties they would add nodes named "#".
    comment = [pc.starts_with(c, "#") for c in (a, b)]
    if any(pc.any(m).as_py() for m in comment):
        row, value = _first_bad(a, b, comment)
        raise InputError(
            f"{path}: node id {_show(value)} (row {row + first_row}) starts with '#': "
            "comment lines are not supported (only a header row); delete them"
        )
    ends = pa.chunked_array(a.chunks + b.chunks, type=pa.large_string())
    distinct = pc.unique(ends)
    labels = distinct.take(pc.sort_indices(distinct))
    inverse = pc.index_in(ends, value_set=labels).to_numpy().astype(np.int64)
    return inverse, np.asarray(labels.to_numpy(zero_copy_only=False), dtype=object)


def read_edgelist(
    path: Path, reorder: str = "rcm", nodes: int | None = None
) -> tuple[Network, NDArray[np.generic]]:
    """Read an undirected edge list and renumber its nodes ``0..n-1``.

    Text files: comma-separated (with CSV quoting) if the first non-blank line holds a
    comma; else tab-separated if it holds a tab (runs of tabs and spaces around a tab are
    one separator, so ids may hold spaces); else separated by runs of spaces and tabs.
    Leading and trailing blanks, a UTF-8 BOM, quotes and blank lines are ignored. The first
    row is a header, and skipped, when neither of its first two fields is a number; so a
    file of text ids needs a header row. Parquet files are recognised by their content.

    Ids are labels: integers (compared as integers, exactly, whatever their size: ``007``
    is ``7``) when every id in the file is an integer, else text. An id that is a decimal
    number (``1.5``, ``1e9``) is an error, never truncated. Ties are undirected: repeats
    are dropped, and so are self-ties, whose node is kept.

    Args:
        path: CSV/text or Parquet file; the first two columns are the ends of each tie.
            Any further columns are ignored: only topology enters a simulation. Parquet id
            columns must be of integer or string type.
        reorder: ``"rcm"`` numbers nodes in reverse Cuthill-McKee order so that neighbours sit
            close in memory; ``"none"`` keeps the sorted order of the original ids.
        nodes: If given, the ids are the integers ``0..nodes-1`` and every one of them is a
            node, including ids that appear in no tie (isolated citizens).

    Returns:
        (network, original id of each new node id: int64, uint64, Python ints or str).

    Raises:
        InputError: Missing or unreadable file, fewer than two columns, no ties, an empty,
            decimal or non-printable id, a Parquet id column of another type, or (with
            ``nodes``) an id that is not an integer in ``[0, nodes)``.
    """
    a, b, first_row = _read_pairs(path)
    ints = _exact_integers(path, a, b, first_row)
    labels: NDArray[Any]
    if nodes is not None:
        if ints is None:
            not_int = [
                pc.invert(pc.match_substring_regex(c, _INT)) if _is_text(c) else pc.is_null(c)
                for c in (a, b)
            ]
            row, value = _first_bad(a, b, not_int)
            raise InputError(
                f"{path}: society.network.nodes = {nodes} needs integer node ids "
                f"0..{nodes - 1}; found {_show(value)} (row {row + first_row})"
            )
        inverse = _declared_ids(path, ints[0], ints[1], nodes, first_row)
        labels = np.arange(nodes, dtype=np.int64)
    elif ints is None:
        inverse, labels = _text_labels(path, a, b, first_row)
    else:
        labels, inverse = np.unique(np.concatenate(ints), return_inverse=True)
    n = labels.size
    ia, ib = inverse[: a.length()], inverse[a.length() :]
    net = Network.from_pairs(n, ia, ib)
    if reorder == "rcm":
        adj = csr_matrix(
            (np.ones(net.indices.size, dtype=np.int8), net.indices, net.indptr), shape=(n, n)
        )
        order = reverse_cuthill_mckee(adj, symmetric_mode=True)  # new id -> old id
        new_of_old = np.empty(n, dtype=np.int64)
        new_of_old[order] = np.arange(n)
        u, v = net.pairs()
        net = Network.from_pairs(n, new_of_old[u], new_of_old[v])
        labels = labels[order]
    return net, labels
