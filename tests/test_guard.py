"""The #include / #script guard against real clingo: does clingo open a canary file the guard let
through? clingo runs in a throw-away subprocess; the canary's opens are watched with inotify, so a
read counts even when the program is otherwise broken (clingo still follows includes after a
syntax error) and the canary's content never matters.

The long run: `ASP_FT_GUARD_EXAMPLES=100000 pytest tests/test_guard.py -k differential -s`
prints what it saw.
"""

from __future__ import annotations

import collections
import ctypes
import json
import os
import select
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asp_ft_tui.asp.guard import code_only, forbidden_directives

EXAMPLES = int(os.environ.get("ASP_FT_GUARD_EXAMPLES", "5000"))
IN_OPEN = 0x20
C = "CANARY"
"""Placeholder for the canary's path in generated programs."""

# clingo parses each program (includes are followed while parsing); no Python logger, so a
# non-ASCII byte in a message cannot kill the process, and messages go nowhere.
_ORACLE = r"""
import json, sys, clingo
for line in sys.stdin:
    try:
        clingo.Control(["--warn=none"]).add("base", [], json.loads(line))
    except RuntimeError:
        pass
    sys.stdout.write("done\n")
    sys.stdout.flush()
"""


class CanaryOracle:
    """Would clingo read from a file named in a program? Asked of a real clingo."""

    def __init__(self, folder) -> None:
        self.canary = folder / "canary.lp"
        self.canary.write_text("canary_was_read.\n")
        libc = ctypes.CDLL(None, use_errno=True)
        self._events = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._events < 0 or libc.inotify_add_watch(self._events, str(self.canary).encode(), IN_OPEN) < 0:
            raise OSError(ctypes.get_errno(), "inotify")
        self._proc = None

    def _start(self) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen([sys.executable, "-c", _ORACLE], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        return self._proc

    def _opened(self) -> bool:
        opened = False
        while select.select([self._events], [], [], 0)[0]:
            opened = bool(os.read(self._events, 4096)) or opened
        return opened

    def reads(self, program: str) -> bool:
        proc = self._start()
        self._opened()
        proc.stdin.write(json.dumps(program.replace(C, str(self.canary))) + "\n")
        proc.stdin.flush()
        if proc.stdout.readline() != "done\n":  # it died on this program: its opens still count
            proc.wait()
        return self._opened()  # the open's event is queued before clingo's open returns

    def close(self) -> None:
        if self._proc is not None:
            self._proc.stdin.close()
            self._proc.wait()
        os.close(self._events)


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    if not sys.platform.startswith("linux"):
        pytest.skip("the canary is watched with inotify")
    found = CanaryOracle(tmp_path_factory.mktemp("canary"))
    yield found
    found.close()


def refused(program: str) -> bool:
    return bool(forbidden_directives(program.replace(C, "/any/file")))


# -- hand-picked cases: the forms that fooled the guard before, each checked against clingo too ----
READ = [
    ('p("\\t. #include "CANARY". ").', "an unknown escape ends no string: the quote is lone"),
    ('p("a\\\n. #include "CANARY". ").', "backslash-newline is not an escape"),
    ('%* %* *% *% #include "CANARY".', "nested block comments"),
    ('%* % *% \n*% #include "CANARY".', "a % in a block comment starts a line comment there"),
    ('#includeé "CANARY".', "#include before a non-ASCII letter"),
    ('#include %* x *% "CANARY".', "a comment between #include and its path"),
    ('#include\r\n"CANARY"\r\n.', "CR/LF"),
    ('\ufeff#include "CANARY".', "a BOM"),
    ('p(. #include "CANARY".', "after a syntax error"),
    ('&a { "%*" }. #include "CANARY".', "theory atom"),
    ('%* "*% #include "CANARY". "*%', "a quote inside a block comment opens no string"),
]
SAFE = [
    '% #include "CANARY".',
    '#! #include "CANARY".',
    '%* #include "CANARY". *%',
    '%* %* *% #include "CANARY". *%',
    '%* % *% #include "CANARY".\n*%',
    'p("#include \\"CANARY\\".").',
    'p("\\\\"). % #include "CANARY".',
    'p("x"). %* "*%" % *% #include "CANARY".\n *%',
]


@pytest.mark.parametrize("program, why", READ)
def test_every_form_clingo_reads_from_is_refused(oracle, program, why):
    assert oracle.reads(program), f"clingo was expected to read here ({why})"
    assert refused(program), why


@pytest.mark.parametrize("program", SAFE)
def test_include_inside_a_real_comment_or_string_is_accepted(oracle, program):
    assert not oracle.reads(program)
    assert not refused(program)


def test_the_engine_refuses_them_before_clingo_reads(tmp_path):
    from asp_ft_tui.asp.engine import Engine, EngineConfig

    secret = tmp_path / "secret.lp"
    secret.write_text("secret_fact_4711.\n")
    with Engine(EngineConfig(workers=1, wall_s=30)) as engine:
        for program, why in READ:
            program = program.replace(C, str(secret))
            solved, checked = engine.solve(program), engine.validate(program, "node(1).")
            for diagnostics in (solved.diagnostics, checked.diagnostics):
                assert diagnostics[0].kind == "forbidden", why
                assert "secret_fact_4711" not in repr(diagnostics) + repr(solved.models)


def test_script_and_theory_are_refused_wherever_they_are_code():
    assert refused("#script (python)\n#end.")
    assert refused("# script")
    assert refused("#theory t { }.")
    assert not refused('% #script\np("#theory").')


def test_a_context_ending_inside_a_block_comment_is_refused():
    # clingo would see the snippet after it as comment up to a `*%` the snippet alone does not show.
    assert forbidden_directives("a. %* open", in_context=True)
    assert not forbidden_directives("a. %* open")
    assert not forbidden_directives("a. %* closed *%", in_context=True)


def test_code_only_blanks_what_clingo_skips_and_keeps_lengths():
    text = 'p("a\\"%"). %* x %* y *% % *%\n *% q. #! r\n"\\t"'
    blanked = code_only(text)
    assert len(blanked) == len(text) and blanked.count("\n") == text.count("\n")
    assert blanked == 'p("    ").                  \n    q.     \n"\\t"'


# -- the differential property test -------------------------------------------------------------
# Fragments: unbalanced comment and string pieces, every escape and some that are not, the
# directives in many spellings, theory atoms, line ends, a BOM.
PIECES = [
    "%*", "*%", "%", "#!", '"', "\\", '\\"', "\\\\", "\\n", "\\t", "\\x", "\\\n", "\n", "\r\n", "\r",
    "\ufeff", " ", "*", "#", "include", "é", "p(1).", "a :- b.", "&a { x }.", '&a { "s" }', "{", "}", ".",
    f'"{C}"', f'#include "{C}".', f'#include"{C}"', f'#include\n"{C}".', f'#include %* c *% "{C}".',
    f'#include % c\n"{C}".', f'# include "{C}".', f'#Include "{C}".', f'#INCLUDE "{C}".',
    f'#includeé "{C}".', f'#include\r\n"{C}"\r\n.', "#script (python)\n#end.", "#script", "#end.",
]
soup = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)

# Safe by construction: #include sits only inside comments and strings that clingo closes.
_plain = st.sampled_from(["a", " ", "\t", "\r", "\ufeff", "é", "#include", f'#include "{C}".', "#script",
                          "#!", ".", "p(1)"])
_any_but_newline = st.lists(st.sampled_from(PIECES + ["#include"]).map(lambda s: s.replace("\n", " ")),
                            max_size=6).map("".join)
_line_comment = st.builds(lambda opener, body: opener + body + "\n", st.sampled_from(["%", "% ", "#!"]),
                          _any_but_newline.filter(lambda s: not s.startswith("*")))


def _block(inner):
    return st.lists(st.one_of(_plain, st.just("\n"), st.just("\r\n"), inner,
                              _any_but_newline.map(lambda s: "% " + s + "\n")), max_size=6).map(
        lambda parts: "%*" + "".join(parts) + "*%")


_block_comment = st.recursive(st.builds(lambda p: "%*" + p + "*%", _plain), _block, max_leaves=8)
_string = st.lists(st.one_of(st.sampled_from(['\\"', "\\\\", "\\n", "%", "%*", "*%", "#!", "'", "\r",
                                              "#include", f'#include \\"{C}\\".', "#script"]), _plain),
                   max_size=8).map(lambda parts: 'p("' + "".join(parts) + '").')
_statement = st.sampled_from(["a.", "p(1).", "a :- b.", "&a { x }.", "&a { y : z }.", "{ q(1..2) }."])
safe = st.lists(st.one_of(_line_comment, _block_comment, _string, _statement,
                          st.sampled_from([" ", "\n", "\r\n", "\ufeff"])), max_size=8).map("".join)

SEEN: collections.Counter = collections.Counter()


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(program=soup, harmless=safe)
def test_differential_guard_refuses_everything_clingo_reads(oracle, program, harmless):
    SEEN["programs"] += 1
    if oracle.reads(program):
        SEEN["clingo read from"] += 1
        SEEN["refused of those"] += refused(program)
        assert refused(program), program
    # known by construction both ways: accepted as it is, refused once an #include follows it
    SEEN["safe programs"] += 1
    assert not oracle.reads(harmless), harmless
    SEEN["safe programs refused"] += refused(harmless)
    assert not refused(harmless), harmless
    exposed = harmless + f'\n#include "{C}".\n'
    assert oracle.reads(exposed), exposed
    assert refused(exposed), exposed


def teardown_module():
    if EXAMPLES > 5000:
        print("\nguard differential run:", dict(SEEN))
