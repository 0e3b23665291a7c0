"""Other pipelines' structure caches: tone labels taken off (raw text kept, the rest flagged),
read-only benchmark trees, and clingo verdicts remembered across runs."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from asp_ft_tui.asp.engine import Engine, EngineConfig
from asp_ft_tui.asp.verdicts import FILE_NAME, CachingEngine, VerdictCache
from asp_ft_tui.convert import main as convert_main
from asp_ft_tui.domain.benchmarks import discover
from asp_ft_tui.domain.labels import clean_description
from asp_ft_tui.extraction import Extractor, Settings, run_extraction
from asp_ft_tui.prompts import load_prompts
from asp_ft_tui.samples import build_samples
from asp_ft_tui.teachers.structural import StructuralTeacher
from mounts import remount_readonly, small_tmpfs

ASP = """% Colour the vertices.
vertex(1..3). edge(1,2). edge(2,3).
colour(r;g).
{ assign(V,C) : colour(C) } = 1 :- vertex(V).
:- edge(U,V), assign(U,C), assign(V,C).
:- assign(1,g).
#show assign/2.
"""
FOREIGN = {
    "instance_template": "vertex(1..3). edge(1,2). edge(2,3).\ncolour(r;g).",
    "generator": "{ assign(V,C) : colour(C) } = 1 :- vertex(V).",
    "hard_constraints": [
        {"description": "Business Requirements: Two neighbours never share a colour.",
         "asp_rule": ":- edge(U,V), assign(U,C), assign(V,C)."},
        {"description": "**Casual:** vertex 1 can't be green, sorry.", "asp_rule": ":- assign(1,g)."},
    ],
    "soft_constraints": [],
    "global_objective": "",
    "show": ["#show assign/2."],
}


@pytest.fixture(scope="module")
def engine():
    with Engine(EngineConfig(workers=2)) as eng:
        yield eng


def make_tree(root: Path, structure: dict, count: int = 1) -> Path:
    for n in range(count):
        folder = root / "Graphs" / f"colouring_{n}"
        folder.mkdir(parents=True)
        (folder / "NL.txt").write_text(f"Colour a path of three vertices ({n}) with two colours.\n")
        (folder / "ASP.txt").write_text(ASP)
        (folder / "structure.json").write_text(json.dumps(structure, indent=1))
    return root


@pytest.mark.parametrize(("raw", "text", "tone"), [
    ("Business Requirements: Each shift needs two nurses.", "Each shift needs two nurses.", "Business"),
    ("**Academic:** the set of shifts is covered.", "The set of shifts is covered.", "Academic"),
    ("[Didactic] First, note that shifts never overlap.", "First, note that shifts never overlap.", "Didactic"),
    ("Succinct - One colour per vertex.", "One colour per vertex.", "Succinct"),
    ("Sanity check: no nurse works twice a day.", "No nurse works twice a day.", None),
    ("Casual: Sanity check: fine by everyone.", "Fine by everyone.", "Casual"),
    ("Constraint: Actions must occur sequentially", "Actions must occur sequentially", None),
    ("1. Academic: The set is covered.", "The set is covered.", "Academic"),
    ("- Casual: every room gets a talk", "Every room gets a talk", "Casual"),
    ("Academic (formal): The set is covered.", "The set is covered.", "Academic"),
    ("### Casual\nevery room gets a talk", "Every room gets a talk", "Casual"),
    ("**Academic**\n\nThe set is covered.", "The set is covered.", "Academic"),
    ("Academic \u2192 The set is covered.", "The set is covered.", "Academic"),
    ("Academic. The set is covered.", "The set is covered.", "Academic"),
    ("The set is covered (Academic tone)", "The set is covered", "Academic"),
    ("Casual: adj(X,Y) must hold", "adj(X,Y) must hold", "Casual"),  # a predicate keeps its case
    ("Casual: see note_", "See note_", "Casual"),
])
def test_known_labels_come_off_and_name_their_tone(raw, text, tone):
    cleaned = clean_description(raw)
    assert (cleaned.text, cleaned.tone, cleaned.flag) == (text, tone, "")
    assert cleaned.changed


@pytest.mark.parametrize("raw", ["Clue: the cell (1,1) holds 8.", "Short-term shifts come first.",
                                 "Penalty: 5 points per late task.", "Academic requirements: three credits each.",
                                 "Scheduling horizon: every job ends by time 10.", "Note that the graph is undirected."])
def test_a_description_with_its_own_heading_is_left_alone(raw):
    cleaned = clean_description(raw)
    assert cleaned.text == raw and not cleaned.changed and not cleaned.flag


@pytest.mark.parametrize("raw", ["Professional tone: each shift is staffed.", "ELI5: shifts are like slots.",
                                 "Academic:"])
def test_what_cannot_be_cleaned_is_flagged_and_kept(raw):
    cleaned = clean_description(raw)
    assert cleaned.flag and cleaned.text == raw


def test_imported_cache_loses_its_labels_keeps_the_raw_text_and_flags_the_rest(engine, tmp_path):
    structure = json.loads(json.dumps(FOREIGN))
    structure["hard_constraints"].append({"description": "Friendly version: vertex 3 is red.",
                                          "asp_rule": ":- assign(3,g)."})
    tree = make_tree(tmp_path / "tree", structure)
    bench = discover(tree).benchmarks[0]
    original = (bench.path / "structure.json").read_bytes()
    extractor = Extractor(StructuralTeacher(engine), engine, load_prompts(), Settings())
    result = run_extraction(extractor, [bench]).results[0]
    meta = json.loads((bench.path / "structure.meta.json").read_text())
    assert meta["descriptions"]["hard/0"] == {"Business": "Two neighbours never share a colour."}
    assert meta["descriptions"]["hard/1"] == {"Casual": "Vertex 1 can't be green, sorry."}
    assert meta["raw_descriptions"] == {"hard/0": structure["hard_constraints"][0]["description"],
                                        "hard/1": structure["hard_constraints"][1]["description"]}
    assert "Friendly version" in meta["description_flags"]["hard/2"]
    assert "description hard/2" in result.needs_review
    assert (bench.path / "structure.json").read_bytes() == original  # someone else's file, untouched
    samples = build_samples([bench], load_prompts(), engine).samples[bench.id]
    prompts = [s.user for s in samples if s.task == "hard"]
    assert any(p.endswith("Two neighbours never share a colour.") for p in prompts)
    assert not any("Business Requirements" in p or "Casual:" in p for p in prompts)


def test_read_only_tree_keeps_structures_in_the_output_cache_with_one_notice(tmp_path, capsys):
    with small_tmpfs(tmp_path / "disk", size="4m") as disk:
        tree = make_tree(disk / "tree", FOREIGN, count=3)
        fresh = disk / "tree" / "Graphs" / "no_cache"
        fresh.mkdir()
        (fresh / "NL.txt").write_text("Colour a path of three vertices with two colours.\n")
        (fresh / "ASP.txt").write_text(ASP)
        remount_readonly(disk)
        out = tmp_path / "out"
        code = convert_main(["--input", str(tree), "--output", str(out), "--teacher", "structural"])
        err = capsys.readouterr().err
        assert code == 0, err
        assert err.count("read-only") == 1 and "4 benchmark folders are read-only" in err
        assert "Permission denied" not in err and "Read-only file system" not in err
        homes = sorted((out / "cache" / "structures").iterdir())
        assert len(homes) == 4
        assert all((home / "structure.meta.json").is_file() for home in homes)
        # Ours was extracted into the cache; the three foreign caches are read where they are.
        assert sum((home / "structure.json").is_file() for home in homes) == 1
        assert (out / "train.jsonl").stat().st_size > 0
        # A rerun finds everything in the cache: nothing is extracted again.
        assert convert_main(["--input", str(tree), "--output", str(out), "--teacher", "structural"]) == 0
        assert "cached 4" in capsys.readouterr().out


class CountingEngine:
    """The real engine, counting what it is asked to validate."""

    def __init__(self, engine) -> None:
        self.engine, self.validated = engine, 0

    def validate_many(self, items, progress=None, **options):
        items = list(items)
        self.validated += len(items)
        return self.engine.validate_many(items, progress, **options)


def test_verdicts_are_asked_once_and_remembered_across_runs(engine, tmp_path):
    items = [("p(1).", ""), (":- p(X).", "q(1)."), ("a :- b", ""), ("p(1).", "")]
    first = CountingEngine(engine)
    results = CachingEngine(first, VerdictCache(tmp_path)).validate_many(items)
    assert [r.ok for r in results] == [True, True, False, True]
    assert first.validated == 3  # the repeated pair is asked once
    again = CountingEngine(engine)
    cached = CachingEngine(again, VerdictCache(tmp_path)).validate_many(items)
    assert again.validated == 0
    assert [r.error_text for r in cached] == [r.error_text for r in results]


def test_a_damaged_verdict_file_is_set_aside_and_started_again(engine, tmp_path):
    (tmp_path / FILE_NAME).write_bytes(b"this is not a database" * 100)
    counting = CountingEngine(engine)
    cache = VerdictCache(tmp_path)
    assert "damaged" in cache.problem
    results = CachingEngine(counting, cache).validate_many([("p(1).", ""), ("a :- b", "")])
    assert [r.ok for r in results] == [True, False] and counting.validated == 2
    assert (tmp_path / f"{FILE_NAME}.damaged").read_bytes().startswith(b"this is not")
    again = CountingEngine(engine)
    CachingEngine(again, VerdictCache(tmp_path)).validate_many([("p(1).", "")])
    assert again.validated == 0  # the new file works


def test_a_linked_verdict_file_is_never_written_through(engine, tmp_path):
    target = tmp_path / "elsewhere.sqlite"
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / FILE_NAME).symlink_to(target)
    cache = VerdictCache(tmp_path / "cache")
    assert "not a plain file" in cache.problem
    CachingEngine(engine, cache).validate_many([("p(1).", "")])
    assert not target.exists()


def test_verdict_file_holds_no_code(engine, tmp_path):
    secret = "secret_predicate_name(1)."
    CachingEngine(engine, VerdictCache(tmp_path)).validate_many([(secret, "")])
    rows = sqlite3.connect(tmp_path / FILE_NAME).execute("SELECT key, diagnostics FROM verdicts").fetchall()
    assert rows and not any("secret_predicate_name" in key + text for key, text in rows)
    shutil.rmtree(tmp_path)


def test_samples_are_never_built_from_an_unimported_cache(engine, tmp_path):
    """The app builds samples straight from the tree: a foreign cache is imported first, so no
    label reaches a prompt and the sidecar holds its checks and verdict."""
    tree = make_tree(tmp_path / "tree", FOREIGN)
    bench = discover(tree).benchmarks[0]
    samples = build_samples([bench], load_prompts(), engine).samples[bench.id]
    meta = json.loads((bench.path / "structure.meta.json").read_text())
    assert meta["teacher"] == "external" and meta["faithfulness"]["verdict"] == "faithful"
    assert set(meta["components"]) == {"instance", "generator", "hard/0", "hard/1"}
    prompts = [s.user for s in samples]
    assert prompts and not any("Business Requirements" in p or "Casual:" in p for p in prompts)
    assert json.loads((bench.path / "structure.json").read_text()) == FOREIGN


def test_convert_holds_back_a_structure_that_is_not_faithful(tmp_path, capsys):
    wrong = json.loads(json.dumps(FOREIGN))
    wrong["hard_constraints"][1]["asp_rule"] = ":- assign(1,r)."  # means something else
    tree = make_tree(tmp_path / "tree", FOREIGN, count=2)
    folder = tree / "Other" / "wrong"
    folder.mkdir(parents=True)
    (folder / "NL.txt").write_text("Colour a path of three vertices with two colours, vertex 1 red.\n")
    (folder / "ASP.txt").write_text(ASP)
    (folder / "structure.json").write_text(json.dumps(wrong))
    out = tmp_path / "out"
    assert convert_main(["--input", str(tree), "--output", str(out), "--teacher", "structural"]) == 0
    err = capsys.readouterr().err
    assert "held back" in err and "Other/wrong" in err and "not faithful" in err
    meta = json.loads((folder / "structure.meta.json").read_text())
    assert meta["faithfulness"]["verdict"] == "not faithful"
    exported = (out / "train.jsonl").read_text() + (out / "valid.jsonl").read_text()
    assert "Colour a path of three vertices with two colours, vertex 1 red." not in exported
    assert "Colour a path of three vertices (0)" in exported


def test_a_changed_foreign_structure_is_imported_again(engine, tmp_path):
    tree = make_tree(tmp_path / "tree", FOREIGN)
    bench = discover(tree).benchmarks[0]
    extractor = Extractor(StructuralTeacher(engine), engine, load_prompts(), Settings())
    run_extraction(extractor, [bench])
    assert json.loads((bench.path / "structure.meta.json").read_text())["faithfulness"]["verdict"] == "faithful"
    changed = json.loads(json.dumps(FOREIGN))
    changed["hard_constraints"][1] = {"description": "No two adjacent nodes are chosen.", "asp_rule": ":- assign(1,r)."}
    (bench.path / "structure.json").write_text(json.dumps(changed))
    # The app's way (build straight away) and the CLI's (extract first) both see the change.
    samples = build_samples([bench], load_prompts(), engine).samples[bench.id]
    meta = json.loads((bench.path / "structure.meta.json").read_text())
    assert meta["faithfulness"]["verdict"] == "not faithful"
    assert meta["descriptions"]["hard/1"] == {"-": "No two adjacent nodes are chosen."}
    assert any(s.user.endswith("No two adjacent nodes are chosen.") for s in samples)
    (bench.path / "structure.json").write_text(json.dumps(FOREIGN))
    run_extraction(extractor, [bench])
    assert json.loads((bench.path / "structure.meta.json").read_text())["faithfulness"]["verdict"] == "faithful"
    assert json.loads((bench.path / "structure.json").read_text()) == FOREIGN  # never replaced


@pytest.mark.parametrize("poison", ["deep", "surrogate"])
def test_one_hostile_structure_fails_alone(tmp_path, capsys, poison):
    tree = make_tree(tmp_path / "tree", FOREIGN, count=3)
    bad = tree / "Graphs" / "colouring_1" / "structure.json"
    if poison == "deep":
        bad.write_text("[" * 200_000 + "]" * 200_000)
    else:
        bad.write_text(json.dumps(FOREIGN).replace("Two neighbours", "Two \\ud800 neighbours"))
    out = tmp_path / "out"
    code = convert_main(["--input", str(tree), "--output", str(out), "--teacher", "structural"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "colouring_1" in captured.err and ("nested too deeply" in captured.err or "lone surrogate" in captured.err)
    assert code == 1 and (out / "train.jsonl").stat().st_size > 0  # the others exported


def test_a_constraint_nobody_described_gives_no_translation_task(engine, tmp_path):
    odd = json.loads(json.dumps(FOREIGN))
    odd["hard_constraints"] = [{"description": None, "asp_rule": ":- edge(U,V), assign(U,C), assign(V,C)."},
                               {"description": 12345, "asp_rule": ":- assign(1,g)."},
                               {"description": ["No", "list"], "asp_rule": ":- assign(2,g)."}]
    tree = make_tree(tmp_path / "tree", odd)
    bench = discover(tree).benchmarks[0]
    samples = build_samples([bench], load_prompts(), engine).samples[bench.id]
    assert not [s for s in samples if s.task == "hard"]
    assert not any("12345" in s.user or "Write the hard constraint: Write" in s.user for s in samples)
