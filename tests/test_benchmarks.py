"""Benchmark discovery: every bad-folder kind gets its reason; encodings and names are tolerated."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from asp_ft_tui.domain.benchmarks import discover, read_benchmark_text

ASP = "% colour the nodes\nnode(1..3).\n{ col(N,C) : c(C) } = 1 :- node(N).\nc(r;g).\n"
NL = "Colour three nodes with two colours.\n"


def write(folder: Path, name: str, content: bytes | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "benchmarks"
    good = root / "Graph Problems" / "Easy Problems"
    write(good / "coloring", "NL.txt", NL)
    write(good / "coloring", "ASP.txt", ASP)
    write(good / "coloring_variant_big", "NL.txt", NL)
    write(good / "coloring_variant_big", "ASP.txt", ASP + "node(4).\n")
    write(good / "coloring_variant_weighted", "NL.txt", NL)
    write(good / "coloring_variant_weighted", "ASP.txt", ASP + "w(1).\n")
    # encodings and file-name spellings that must all be found
    write(root / "Enc" / "bom", "NL.txt", b"\xef\xbb\xbf" + NL.encode())
    write(root / "Enc" / "bom", "ASP.txt", b"\xef\xbb\xbf" + ASP.encode())
    write(root / "Enc" / "crlf", "NL.txt", NL.replace("\n", "\r\n"))
    write(root / "Enc" / "crlf", "ASP.txt", ASP.replace("\n", "\r\n"))
    write(root / "Enc" / "lower", "nl.txt", NL)
    write(root / "Enc" / "lower", "asp.txt", ASP)
    write(root / "Enc" / "lp", "NL.txt", NL)
    write(root / "Enc" / "lp", "ASP.lp", ASP)
    write(root / "Enc" / "ir_only", "IR.txt", "Objects: nodes\n")
    write(root / "Enc" / "ir_only", "ASP.txt", ASP)
    write(root / "Enc" / "both", "NL.txt", NL)
    write(root / "Enc" / "both", "IR.txt", "Objects: nodes\n")
    write(root / "Enc" / "both", "ASP.txt", ASP)
    write(root / "Enc" / "both", "structure.json", "{}")
    # every bad kind
    bad = root / "Bad"
    write(bad / "no_nl", "ASP.txt", ASP)
    write(bad / "no_asp", "NL.txt", NL)
    write(bad / "only_structure", "structure.json", "{}")
    write(bad / "empty", "NL.txt", NL)
    write(bad / "empty", "ASP.txt", "  \n\n")
    write(bad / "latin1", "NL.txt", "caf\xe9 colouring".encode("latin-1"))
    write(bad / "latin1", "ASP.txt", ASP)
    write(bad / "binary", "NL.txt", NL)
    write(bad / "binary", "ASP.txt", b"\x00\x01\x02node(1).")
    write(bad / "huge", "NL.txt", NL)
    write(bad / "huge", "ASP.txt", "node(1).\n" * 120_000)
    write(bad / "dangling", "NL.txt", NL)
    (bad / "dangling" / "ASP.txt").symlink_to(bad / "dangling" / "missing.txt")
    write(bad / "dir_not_file", "NL.txt", NL)
    (bad / "dir_not_file" / "ASP.txt").mkdir()
    (bad / "loop").mkdir()
    (bad / "loop" / "back").symlink_to(root)
    return root


def by_id(library):
    return {b.id: b for b in library.benchmarks}, {p.id: p.reason for p in library.problems}


def test_good_folders_are_found_with_normalised_text(tree):
    benchmarks, _ = by_id(discover(tree))
    for name in ("bom", "crlf", "lower", "lp", "ir_only", "both"):
        bench = benchmarks[f"Enc/{name}"]
        assert bench.asp == ASP, name
        assert "\r" not in bench.asp and not bench.asp.startswith("\ufeff")
    assert benchmarks["Enc/lp"].asp_file.name == "ASP.lp"
    assert benchmarks["Enc/lower"].nl == NL
    ir_only = benchmarks["Enc/ir_only"]
    assert ir_only.nl is None and ir_only.description == "Objects: nodes\n"
    both = benchmarks["Enc/both"]
    assert both.nl == NL and both.ir == "Objects: nodes\n" and both.description == NL
    assert both.structure_file is not None and both.structure_file.name == "structure.json"


@pytest.mark.parametrize(
    "folder, reason",
    [
        ("Bad/no_nl", "has ASP.txt but no NL.txt or IR.txt"),
        ("Bad/no_asp", "has NL.txt but no ASP.txt"),
        ("Bad/only_structure", "has structure.json but no ASP.txt and no NL.txt or IR.txt"),
        ("Bad/empty", "ASP.txt is empty"),
        ("Bad/latin1", "NL.txt is not UTF-8 (byte 0xe9 at offset 3)"),
        ("Bad/binary", "ASP.txt is binary"),
        ("Bad/huge", "over the 1 MiB limit"),
        ("Bad/dangling", "ASP.txt is unreadable"),
        ("Bad/dir_not_file", "ASP.txt is not a regular file"),
        ("Bad/loop/back", "symlink loop"),
    ],
)
def test_every_bad_folder_is_a_problem_with_its_reason(tree, folder, reason):
    benchmarks, problems = by_id(discover(tree))
    assert folder not in benchmarks
    assert reason in problems[folder]


def test_nothing_is_skipped_silently(tree):
    library = discover(tree)
    folders_with_files = {
        str(Path(dirpath).relative_to(tree)).replace(os.sep, "/")
        for dirpath, _, filenames in os.walk(tree)
        if any(f.lower() in {"asp.txt", "asp.lp", "nl.txt", "ir.txt", "structure.json"} for f in filenames)
    }
    accounted = {b.id for b in library.benchmarks} | {p.id for p in library.problems}
    assert folders_with_files <= accounted


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_a_problem(tmp_path):
    write(tmp_path / "p", "NL.txt", NL)
    asp = write(tmp_path / "p", "ASP.txt", ASP)
    asp.chmod(0)
    assert "ASP.txt is unreadable" in discover(tmp_path).problems[0].reason


def test_unreadable_file_reason_from_os_error(tmp_path, monkeypatch):
    path = write(tmp_path, "ASP.txt", ASP)
    real_open = open

    def deny(file, *args, **kwargs):
        if Path(file) == path:
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    assert read_benchmark_text(path) == (None, "ASP.txt is unreadable (Permission denied)")


def test_variants_group_with_their_base(tree):
    library = discover(tree)
    groups = library.groups()
    members = groups["Graph Problems/Easy Problems/coloring"]
    assert [b.name for b in members] == ["coloring", "coloring_variant_big", "coloring_variant_weighted"]
    assert members[1].variant == "big" and members[0].variant is None
    assert members[0].category == "Graph Problems/Easy Problems"
    assert groups["Enc/bom"] == [library.get("Enc/bom")]


def test_variants_without_a_base_folder_still_form_one_group(tmp_path):
    for name in ("tsp_variant_a", "tsp_variant_b"):
        write(tmp_path / "Routing" / name, "NL.txt", NL)
        write(tmp_path / "Routing" / name, "ASP.txt", ASP)
    assert list(discover(tmp_path).groups()) == ["Routing/tsp"]


def test_discovery_of_a_missing_root_is_a_problem_not_an_exception(tmp_path):
    library = discover(tmp_path / "nope")
    assert library.benchmarks == [] and "cannot open" in library.problems[0].reason


def test_a_root_that_is_itself_a_benchmark(tmp_path):
    write(tmp_path / "single", "NL.txt", NL)
    write(tmp_path / "single", "ASP.txt", ASP)
    library = discover(tmp_path / "single")
    assert [b.id for b in library.benchmarks] == ["single"]


def test_odd_names_deep_trees_and_dangling_links_never_raise(tmp_path):
    write(tmp_path / "area_100\u00b2", "NL.txt", NL)
    write(tmp_path / "area_100\u00b2", "ASP.txt", ASP)
    (tmp_path / "notes_\u00b2.txt").write_text("x")
    deep = tmp_path
    for _ in range(1200):  # deeper than Python's recursion limit
        deep = deep / "d"
        os.mkdir(deep)
    (deep / "NL.txt").write_text(NL)
    (deep / "ASP.txt").write_text(ASP)
    (tmp_path / "linked_bench").symlink_to(tmp_path / "unmounted" / "bench")
    try:
        library = discover(tmp_path)
    finally:
        while deep != tmp_path:  # shutil.rmtree recurses: pytest could not clean this up
            for child in deep.iterdir():
                child.unlink()
            deep.rmdir()
            deep = deep.parent
    ids = {b.id for b in library.benchmarks}
    assert "area_100\u00b2" in ids and any(i.count("/") == 1199 for i in ids)
    assert any(p.id == "linked_bench" and "broken symbolic link" in p.reason for p in library.problems)


def test_natural_order():
    from asp_ft_tui.domain.benchmarks import natural_key

    names = ["easy_10", "easy_2", "Easy_1", "easy_\u00b2"]
    assert sorted(names, key=natural_key) == ["Easy_1", "easy_2", "easy_10", "easy_\u00b2"]
