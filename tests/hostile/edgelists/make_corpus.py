"""Write the crafted edge lists of this folder (run once; the files are shipped).

Their expected outcomes are in expected.toml, checked by tests/test_hostile_edgelists.py.
"""

import gzip
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

OUT = Path(__file__).resolve().parent
BOM = b"\xef\xbb\xbf"


def ring(ids):
    return [(ids[i], ids[(i + 1) % len(ids)]) for i in range(len(ids))]


def text(name, rows, sep=",", end="\n", head=b""):
    body = "".join(f"{a}{sep}{b}{end}" for a, b in rows)
    (OUT / name).write_bytes(head + body.encode())


def raw(name, data):
    (OUT / name).write_bytes(data)


def parquet(name, table):
    buf = io.BytesIO()
    pq.write_table(table, buf)
    (OUT / name).write_bytes(buf.getvalue())


# 1. ids past 2**63: exact, never float64
text("ids_near_2p64.csv", ring([2**64 - 1 - k for k in range(50)]))
text("ids_around_2p63.csv", ring([2**63 - 25 + k for k in range(50)]))
text("ids_past_2p64.csv", ring([2**64 + k for k in range(25)] + [-(k + 1) for k in range(25)]))
text("ids_negative_and_2p64_minus_1.csv", ring([-5, -4, 2**64 - 1, 2**64 - 2, 0]))
text("ids_past_2p63_space.txt", ring([2**63 + k for k in range(50)]), sep=" ")
raw("id_decimal.csv", b"1,2\n2,1.5\n3,1\n")
raw("id_decimal_integral.csv", b"1,2\n2.0,3\n")
raw("id_exponent.csv", b"1,2\n1e9,3\n")
raw("id_huge_float_text.csv", b"1,2\n1.8446744073709552e19,3\n")
# 2. header detection
raw("first_row_quoted.csv", b'"1","2"\n2,3\n3,1\n')
raw("first_row_after_bom.csv", BOM + b"1,2\n2,3\n3,1\n")
raw("first_row_quoted_after_bom.csv", BOM + b'"1","2"\n2,3\n3,1\n')
raw("first_row_decimal.csv", b"1.5,2.5\n2,3\n3,1\n")
raw("first_row_padded.csv", b"  1 , 2 \n2,3\n3,1\n")
raw("header.csv", b"source,target\n1,2\n2,3\n3,1\n")
raw("header_quoted_after_bom.csv", BOM + b'"source","target"\n1,2\n2,3\n3,1\n')
raw("header_with_weight.csv", b"u,v,weight\n1,2,0.5\n2,3,0.25\n3,1,x\n")
raw("header_text_ids.tsv", b"source\ttarget\nNew York\tBoston\nBoston\tChicago\n")
raw("only_header.csv", b"source,target\n")
# 3. Parquet column types
parquet("parquet_list.parquet", pa.table({"u": [[1, 2], [3]], "v": [1, 2]}))
parquet("parquet_struct.parquet", pa.table({"u": [{"x": 1}, {"x": 2}], "v": [1, 2]}))
parquet("parquet_binary.parquet", pa.table({"u": [1, 2], "v": pa.array([b"a", b"b"])}))
parquet("parquet_bool.parquet", pa.table({"u": [True, False], "v": [False, True]}))
parquet("parquet_float.parquet", pa.table({"u": [1.0, 2.0], "v": [2.0, 3.0]}))
parquet("parquet_null_type.parquet", pa.table({"u": [1, 2], "v": pa.nulls(2)}))
parquet("parquet_one_column.parquet", pa.table({"u": [1, 2]}))
parquet(
    "parquet_zero_rows.parquet",
    pa.table({"u": pa.array([], pa.int64()), "v": pa.array([], pa.int64())}),
)
parquet("parquet_null_ids.parquet", pa.table({"u": [1, 2, None], "v": [2, 3, 1]}))
parquet(
    "parquet_int32_and_uint64.parquet",
    pa.table(
        {
            "u": pa.array([1, 2, 3], pa.int32()),
            "v": pa.array([2**64 - 1, 2**64 - 2, 1], pa.uint64()),
        }
    ),
)
parquet(
    "parquet_uint64_past_2p63.parquet",
    pa.table(
        {
            "u": pa.array([2**63 + k for k in range(50)], pa.uint64()),
            "v": pa.array([2**63 + (k + 1) % 50 for k in range(50)], pa.uint64()),
        }
    ),
)
parquet("parquet_int_and_string.parquet", pa.table({"u": [1, 2, 3], "v": ["2", "3", "1"]}))
parquet("parquet_int_and_text.parquet", pa.table({"u": [1, 2, 3], "v": ["ann", "bob", "1"]}))
parquet(
    "parquet_dictionary.parquet",
    pa.table(
        {
            "u": pa.array(["a", "b", "c"]).dictionary_encode(),
            "v": pa.array(["b", "c", "a"]).dictionary_encode(),
        }
    ),
)
parquet(
    "parquet_weights_extra.parquet",
    pa.table({"u": [1, 2, 3], "v": [2, 3, 1], "w": [[1.0], [2.0], []]}),
)
good = io.BytesIO()
pq.write_table(pa.table({"u": list(range(100)), "v": list(range(1, 101))}), good)
raw("parquet_truncated.parquet", good.getvalue()[: len(good.getvalue()) // 2])
corrupt = bytearray(good.getvalue())
corrupt[8:200] = bytes(192)
raw("parquet_corrupt_pages.parquet", bytes(corrupt))
raw("parquet_named_csv.csv", good.getvalue())
raw("csv_named_parquet.parquet", b"1,2\n2,3\n")
raw("parquet_magic_only.parquet", b"PAR1")
# 4. separators
raw("double_space.txt", b"1  2\n2  3\n3  1\n")
raw("mixed_blanks.txt", b"1 \t 2\n2\t\t3\n  3   1  \n")
raw("tabs_runs.tsv", b"1\t\t2\n2 \t3\n3\t 1\t\n")
raw("crlf.csv", b"1,2\r\n2,3\r\n3,1\r\n")
raw("crlf_trailing_blanks.txt", b"1 2 \r\n2 3\t\r\n3 1\r\n\r\n")
raw("cr_only.csv", b"1,2\r2,3\r3,1\r")
raw("trailing_blank_lines.csv", b"1,2\n2,3\n3,1\n\n\n   \n")
raw("blank_lines_between.csv", b"\n1,2\n\n2,3\n \t \n3,1\n")
raw("quoted_text_with_space.txt", b'a b\n"ann lee" bob\nbob cid\n')
# other cases
raw("empty.csv", b"")
raw("blank_lines_only.csv", b"\n \n\t\n")
raw("one_column.csv", b"1\n2\n3\n")
raw("ragged_short_row.csv", b"1,2\n3\n4,5\n")
raw("ragged_long_row.csv", b"1,2\n3,4,5\n")
raw("self_ties.csv", b"1,1\n1,2\n2,2\n3,3\n")
raw("duplicate_ties.csv", b"1,2\n2,1\n1,2\n2,3\n3,2\n")
raw("negative_ids.csv", b"-1,-2\n-2,-3\n-3,-1\n0,-1\n")
raw("plus_sign.csv", b"+5,6\n5,7\n")
raw("leading_zeros.csv", b"007,7\n7,8\n")
raw("leading_zeros_declared.csv", b"007,008\n0,1\n")
raw("hex_looking_text.csv", b"id_a,id_b\n0x10,0x11\n0x11,16\n")
raw("mixed_int_and_text.csv", b"1,ann\nann,bob\nbob,1\n")
raw("garbage_1byte.csv", b"\xff")
raw("garbage_nul.csv", b"\x00")
raw("gzip_renamed.csv", gzip.compress(b"1,2\n2,3\n3,1\n", mtime=0))
raw("zip_renamed.csv", b"PK\x03\x04" + bytes(40))
raw("nul_in_id.csv", b"1,2\n2,3\x00\n3,1\n")
raw("nul_in_text_id.csv", b"a,b\nann,bob\x00\n")
raw("long_id.csv", b"1,2\n3," + b"9" * 9000 + b"\n")
raw("non_utf8.csv", "a,b\nandré,bob\n".encode("latin-1"))
raw("utf16.csv", "1,2\n2,3\n".encode("utf-16"))
raw("empty_field.csv", b"1,2\n2,\n")
raw("quoted_empty_field.csv", b'1,2\n"",3\n')
raw("blank_field.csv", b"1,2\n  ,3\n")
raw("unterminated_quote.csv", b'1,2\n"3,4\n5,6\n')
raw(
    "comment_lines.txt",
    b"# Directed graph: test\n# Nodes: 3 Edges: 3\n# FromNodeId\tToNodeId\n1\t2\n2\t3\n3\t1\n",
)
raw("declared_decimal.csv", b"0,1\n1e9,2\n")
raw("declared_past_2p64.csv", b"0,1\n1,18446744073709551616\n")
raw("declared_2p64_minus_1.csv", b"0,1\n1,18446744073709551615\n")
raw("unicode_text_ids.csv", "from,to\nzoë,łukasz\nłukasz,李\n李,zoë\n".encode())
raw("nan_inf_text.csv", b"u,v\nnan,inf\ninf,-inf\n")
raw("only_self_ties.csv", b"1,1\n2,2\n")
raw("leading_blank_lines.csv", b"  \n\t\n1,2\n2,3\n3,1\n")
raw("bom_mid_file.csv", b"1,2\n2,3\n" + BOM + b"3,1\n")
raw("joined_with_cat.csv", BOM + b"source,target\n1,2\n" + BOM + b"source,target\n2,3\n")
