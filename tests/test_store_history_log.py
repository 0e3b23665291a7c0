"""The decision history log reads an intact log in one parse and a damaged one line by line: both
give exactly the entries a line-by-line read keeps (the log rebuilds damaged shards, so a line
taken or dropped wrongly would rebuild the wrong decisions)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from asp_ft_tui.store import CurationStore
from asp_ft_tui.store.history import HistoryLog, _parse

entries = st.fixed_dictionaries({
    "seq": st.integers(1, 10**6),
    "key": st.text(min_size=1, max_size=12),
    "status": st.sampled_from(["approved", "rejected", None]),
    "note": st.one_of(st.none(), st.text(max_size=20)),  # newlines and quotes inside strings
})
# What real damage leaves: a line cut short, a blank line, CRLF, other JSON, bytes that are not UTF-8.
damage = st.sampled_from([b'{"seq": 3, "key": "cut', b"", b"\r", b"[1, 2]", b'{"key": "k"}', b"\xff\xfe", b"null",
                          b'{"seq": "7", "key": "s"}', b"}", b"{"])


def line_by_line(raw: bytes) -> list:
    return [entry for entry in map(_parse, raw.splitlines()) if entry is not None]


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.one_of(entries.map(lambda e: json.dumps(e, ensure_ascii=False).encode()), damage),
                      max_size=12),
       newline=st.sampled_from([b"\n", b"\r\n"]), final=st.booleans())
def test_history_lines_match_a_line_by_line_read(tmp_path_factory, lines, newline, final):
    path = tmp_path_factory.mktemp("log") / "history.jsonl"
    raw = newline.join(lines) + (newline if final and lines else b"")
    path.write_bytes(raw)
    assert list(HistoryLog(path).lines()) == line_by_line(raw)


def test_a_store_with_a_cut_last_line_opens_with_every_whole_decision(tmp_path):
    with CurationStore(tmp_path / "c") as store:
        for i in range(5):
            store.record(f"k{i}", "approved", f"h{i}")
    log = tmp_path / "c" / "history.jsonl"
    log.write_bytes(log.read_bytes() + b'{"seq": 6, "key": "k9", "act')
    assert [e["seq"] for e in HistoryLog(log).lines()] == [1, 2, 3, 4, 5]
    with CurationStore(tmp_path / "c", readonly=True) as store:
        assert sorted(store.decisions()) == [f"k{i}" for i in range(5)]
