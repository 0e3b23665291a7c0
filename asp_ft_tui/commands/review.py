"""`asp-ft review`: the review queue without the app, for scripts and remote machines.

    asp-ft review list [--status S] [--task T] [--tone T] [--benchmark ID] [--operator OP] [--text TEXT] [--json]
    asp-ft review show KEY [--json]
    asp-ft review approve KEY... [--note TEXT]        (KEY `-`: read keys from stdin, one a line)
    asp-ft review reject KEY... [--note TEXT]
    asp-ft review export-decisions FILE [--reviewer NAME]
    asp-ft review import-decisions FILE [--prefer newer|mine|theirs] [--dry-run]

list, show and export-decisions open the curation store read-only, so they work while the app
(or another writer) holds the workspace lock; approve, reject and import-decisions are writers.

Only the standard library is imported at module level: `asp-ft --help` builds this parser.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

# Mirrors of asp_ft_tui.review.REVIEW_STATUSES, asp_ft_tui.domain.samples.TASKS and
# asp_ft_tui.store.STATUSES, spelled out so that building the parser imports nothing.
REVIEW_STATUSES = ("pending", "approved", "rejected", "changed")
TASKS = ("instance", "generator", "hard", "soft", "repair")
DECISION_STATUSES = ("approved", "rejected", "pending")
PREFER = ("newer", "mine", "theirs")


def add_arguments(review: argparse.ArgumentParser,
                  add_workspace_option: Callable[[argparse.ArgumentParser], None]) -> None:
    actions = review.add_subparsers(dest="review_command", metavar="ACTION")
    actions.required = True

    listing = actions.add_parser("list", help="list samples with their review status (read-only)",
                                 description="One line per sample, three tab-separated columns: key, status, "
                                 "valid|INVALID (whether its answer passes clingo). Keys contain spaces, never tabs: "
                                 "`cut -f1` gives the keys, e.g. to pipe into `asp-ft review approve -`. No header "
                                 "line; a count line goes to stderr. Read-only: works while the app is open.")
    add_workspace_option(listing)
    listing.add_argument("--status", choices=REVIEW_STATUSES)
    listing.add_argument("--task", choices=TASKS)
    listing.add_argument("--tone", help="description tone (e.g. Succinct)")
    listing.add_argument("--benchmark", metavar="ID", help="benchmark id, e.g. 'Puzzles/n_queens'")
    listing.add_argument("--operator", metavar="OP", help="corruption operator of repair samples (or 'teacher')")
    listing.add_argument("--text", metavar="TEXT", help="only keys containing TEXT (case-insensitive)")
    listing.add_argument("--json", action="store_true", help="print a JSON list of objects")
    listing.set_defaults(review_action=cmd_list)

    show = actions.add_parser("show", help="print one sample's messages (read-only)")
    add_workspace_option(show)
    show.add_argument("key", metavar="KEY")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(review_action=cmd_show)

    for name, status in (("approve", "approved"), ("reject", "rejected")):
        action = actions.add_parser(
            name, help=f"{name} samples (a durable decision per key)",
            description=f"{name.capitalize()} samples by key. Every key is checked first: when one is unknown"
            + (" or its answer does not pass clingo" if status == "approved" else "")
            + ", nothing is recorded. Quote keys (they contain spaces); `-` reads keys from stdin, one a line.")
        add_workspace_option(action)
        action.add_argument("keys", nargs="+", metavar="KEY")
        action.add_argument("--note", help="a note stored with each decision")
        action.set_defaults(review_action=cmd_decide, review_status=status)

    export = actions.add_parser("export-decisions", help="write every current decision as JSONL (read-only)",
                                description="One JSON object a line: key, status, content_hash, edit, note, at "
                                "(seconds since the epoch), reviewer. FILE `-` writes to stdout.")
    add_workspace_option(export)
    export.add_argument("file", metavar="FILE")
    export.add_argument("--reviewer", metavar="NAME", help="who made these decisions (default: the OS user name)")
    export.set_defaults(review_action=cmd_export)

    imp = actions.add_parser(
        "import-decisions", help="merge another reviewer's exported decisions into this workspace",
        description="For each decision in FILE (from `export-decisions`): recorded when this workspace has none "
        "for the key; skipped when the same decision is here; otherwise a conflict, resolved by --prefer. "
        "Decisions for keys that are not a current sample are imported too (the sample may come back after a "
        "rebuild) and reported. A malformed file imports nothing. FILE `-` reads stdin.")
    add_workspace_option(imp)
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--prefer", choices=PREFER, default="newer",
                     help="on a conflict: the later decision (default), this workspace's, or the file's")
    imp.add_argument("--dry-run", action="store_true", help="report what would happen; record nothing")
    imp.set_defaults(review_action=cmd_import)


def run(args: argparse.Namespace, workspace) -> int:
    return args.review_action(args, workspace)


# -- list / show -----------------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace, workspace) -> int:
    from asp_ft_tui.review import ReviewSession

    session = ReviewSession.open(workspace, readonly=True)
    try:
        rows = session.filtered(status=args.status, task=args.task, tone=args.tone, benchmark=args.benchmark,
                                operator=args.operator, text=args.text or "")
        statuses = {row.key: session.status_of(row) for row in rows}
        if args.json:
            payload = []
            for row in rows:
                decision = session.store.decision(row.key)
                payload.append({
                    "key": row.key, "status": statuses[row.key], "valid": row.valid,
                    "benchmark_id": row.benchmark_id, "task": row.task, "slot": row.slot, "tone": row.tone,
                    "operator": row.operator, "content_hash": row.content_hash,
                    "decided_at": decision.at if decision else None,
                    "edited": bool(decision and decision.edit is not None),
                })
            print(json.dumps(payload, indent=2))
        else:
            for row in rows:
                # Tabs, not padding: keys hold spaces, and `cut -f1` must give them whole.
                print(row.key, statuses[row.key], "valid" if row.valid else "INVALID", sep="\t")
        counts = {s: 0 for s in REVIEW_STATUSES}
        for status in statuses.values():
            counts[status] += 1
        detail = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        print(f"{len(rows)} of {len(session.rows)} samples" + (f" ({detail})" if detail else ""), file=sys.stderr)
        if args.benchmark and args.benchmark not in session.summaries:
            print(f"asp-ft: no benchmark {args.benchmark!r} in this workspace (see `asp-ft list`)", file=sys.stderr)
        elif not session.rows:
            print("asp-ft: no samples built in this workspace yet: run `asp-ft convert` or build them in the app",
                  file=sys.stderr)
        return 0
    finally:
        session.close()


def cmd_show(args: argparse.Namespace, workspace) -> int:
    from asp_ft_tui.review import ReviewError, ReviewSession

    session = ReviewSession.open(workspace, readonly=True)
    try:
        row = session.rows.get(args.key)
        if row is None:
            raise ReviewError(_unknown([args.key]))
        sample = session.sample(args.key)
        status = session.status_of(row)
        decision = session.store.decision(args.key)
        edit = decision.edit if decision and decision.content_hash == row.content_hash else None
        if args.json:
            print(json.dumps({**sample.to_dict(), "status": status, "content_hash": row.content_hash,
                              "messages": sample.messages(), "edit": edit,
                              "note": decision.note if decision else None}, indent=2))
            return 0
        print(f"key:       {sample.key}")
        print(f"benchmark: {sample.benchmark_id}")
        print(f"task:      {sample.task} ({sample.slot})" + (f", tone {sample.tone}" if sample.tone else ""))
        print(f"status:    {status}" + (f" (note: {decision.note})" if decision and decision.note else ""))
        print(f"valid:     {'yes' if sample.valid else 'no: the answer does not pass clingo'}")
        if sample.task == "repair":
            print(f"operator:  {sample.operator or '-'}")
            print("clingo error of the broken code:")
            print(_indent(sample.error or "(none recorded)"))
        if not sample.valid and sample.answer_error:
            print("clingo error of the answer:")
            print(_indent(sample.answer_error))
        for message in sample.messages():
            print(f"\n--- {message['role']} ---")
            print(message["content"])
        if edit is not None:
            use = "used instead" if status == "approved" else "saved, used once approved"
            print(f"\n--- assistant (reviewer's edit, {use}) ---")
            print(edit)
        return 0
    finally:
        session.close()


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


# -- approve / reject ------------------------------------------------------------------------------
def cmd_decide(args: argparse.Namespace, workspace) -> int:
    from asp_ft_tui.review import ReviewError, ReviewSession

    keys = _dedupe(_read_keys(args.keys))
    status = args.review_status
    session = ReviewSession.open(workspace)
    try:
        if _cannot_write(session):
            return 1
        unknown = [k for k in keys if k not in session.rows]
        if unknown:
            raise ReviewError(_unknown(unknown) + "; nothing was recorded")
        todo = [session.rows[k] for k in keys if session.status_of(session.rows[k]) != status]
        if status == "approved":
            invalid = [row.key for row in todo if not row.valid and session.saved_edit(row.key) is None]
            if invalid:
                raise ReviewError(
                    f"cannot approve {_plural(len(invalid), 'sample')} whose answer does not pass clingo "
                    f"(edit it in the app first): {', '.join(invalid)}; nothing was recorded")
        # An edit saved in the app travels with the decision, as it does there.
        session.store.record_many([(row.key, status, row.content_hash, session.saved_edit(row.key), args.note)
                                   for row in todo])
        done = {row.key for row in todo}
        for key in keys:
            print(f"{status} {key}" if key in done else f"already {status}: {key}")
        print(f"{_plural(len(todo), 'sample')} {status}" + (f", {len(keys) - len(todo)} already were"
                                                          if len(keys) > len(todo) else ""), file=sys.stderr)
        return 0
    finally:
        session.close()


def _cannot_write(session) -> bool:
    """A writer's store opens read-only on a read-only disk (and says why): one line, exit 1."""
    if session.store.readonly:
        print(f"asp-ft: error: cannot record decisions: {session.store.readonly_reason}; nothing was recorded",
              file=sys.stderr)
    return session.store.readonly


def _read_keys(args: list[str]) -> list[str]:
    keys = []
    for arg in args:
        if arg == "-":
            keys += [line.strip() for line in sys.stdin.read().splitlines() if line.strip()]
        else:
            keys.append(arg)
    return keys


def _dedupe(keys: list[str]) -> list[str]:
    return list(dict.fromkeys(keys))


def _unknown(keys: list[str]) -> str:
    shown = ", ".join(repr(k) for k in keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
    return f"no sample {shown} in this workspace (see `asp-ft review list`)"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- export / import -------------------------------------------------------------------------------
def default_reviewer() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name and no passwd entry (some containers)
        return "unknown"


def cmd_export(args: argparse.Namespace, workspace) -> int:
    from asp_ft_tui.fsio import atomic_write_text
    from asp_ft_tui.store import CurationStore

    reviewer = args.reviewer or default_reviewer()
    with CurationStore.for_workspace(workspace, readonly=True) as store:
        decisions = store.decisions()
    lines = [json.dumps({"key": d.key, "status": d.status, "content_hash": d.content_hash, "edit": d.edit,
                         "note": d.note, "at": d.at, "reviewer": reviewer}, ensure_ascii=False)
             for _, d in sorted(decisions.items())]
    text = "".join(line + "\n" for line in lines)
    if args.file == "-":
        sys.stdout.write(text)
        print(f"exported {_plural(len(lines), 'decision')}", file=sys.stderr)
        return 0
    path = Path(args.file)
    atomic_write_text(path, text)  # a failure is the CLI's one line: "no space left on device while writing FILE"
    print(f"exported {_plural(len(lines), 'decision')} (reviewer {reviewer}) to {path}")
    return 0


@dataclass(frozen=True)
class Incoming:
    line: int
    key: str
    status: str
    content_hash: str
    at: float
    edit: str | None
    note: str | None
    reviewer: str | None


def parse_decisions(text: str, source: str) -> list[Incoming]:
    """Every decision of an export file, or ReviewError naming each bad line (up to 10)."""
    from asp_ft_tui.review import ReviewError

    found, problems = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as err:
            problems.append(f"line {n}: not JSON ({getattr(err, 'msg', err)})")
            continue
        if not isinstance(obj, dict):
            problems.append(f"line {n}: expected a JSON object, found {type(obj).__name__}")
            continue
        wrong = []
        for name in ("key", "content_hash"):
            if not isinstance(obj.get(name), str) or not obj.get(name):
                wrong.append(f"{name} must be a non-empty string")
        if obj.get("status") not in DECISION_STATUSES:
            wrong.append(f"status must be one of {', '.join(DECISION_STATUSES)} (found {obj.get('status')!r})")
        at = obj.get("at")
        if isinstance(at, bool) or not isinstance(at, (int, float)) or not math.isfinite(at):
            wrong.append("at must be a number (seconds since the epoch)")
        for name in ("edit", "note", "reviewer"):
            if obj.get(name) is not None and not isinstance(obj[name], str):
                wrong.append(f"{name} must be a string or null")
        if wrong:
            problems.append(f"line {n}: " + "; ".join(wrong))
            continue
        found.append(Incoming(n, obj["key"], obj["status"], obj["content_hash"], float(at), obj.get("edit"),
                              obj.get("note"), obj.get("reviewer")))
    if problems:
        more = f" (and {len(problems) - 10} more bad lines)" if len(problems) > 10 else ""
        raise ReviewError(f"{source} is not a decisions file: " + "; ".join(problems[:10]) + more
                          + "; nothing was imported")
    return found


@dataclass
class MergePlan:
    record: list[Incoming]
    skipped: list[Incoming]
    conflicts: list[tuple[Incoming, str]]
    """(incoming, "theirs" | "mine"): which side won."""
    unknown: list[Incoming]
    """Recorded decisions whose key is not a current sample."""
    refused: list[Incoming]
    """Approvals of the very content this workspace has, whose answer fails clingo, without an edit."""
    duplicates: int


def plan_merge(incoming: list[Incoming], store, rows: dict, prefer: str) -> MergePlan:
    latest: dict[str, Incoming] = {}
    for item in incoming:
        kept = latest.get(item.key)
        if kept is None or item.at >= kept.at:
            latest[item.key] = item
    plan = MergePlan([], [], [], [], [], duplicates=len(incoming) - len(latest))
    for item in latest.values():
        local = store.decision(item.key)
        row = rows.get(item.key)
        if local is None:
            if item.status == "pending":  # no decision here reads as pending already
                plan.skipped.append(item)
                continue
            take = True
        elif (local.status, local.content_hash, local.edit) == (item.status, item.content_hash, item.edit):
            plan.skipped.append(item)
            continue
        else:
            take = prefer == "theirs" or (prefer == "newer" and item.at > local.at)
            plan.conflicts.append((item, "theirs" if take else "mine"))
        if not take:
            continue
        if (item.status == "approved" and item.edit is None and row is not None
                and row.content_hash == item.content_hash and not row.valid):
            plan.refused.append(item)
            continue
        plan.record.append(item)
        if row is None:
            plan.unknown.append(item)
    return plan


def cmd_import(args: argparse.Namespace, workspace) -> int:
    from asp_ft_tui.review import ReviewError, ReviewSession

    source = "stdin" if args.file == "-" else str(args.file)
    try:
        raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as err:
        raise ReviewError(f"cannot read {source}: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise ReviewError(f"{source} is not UTF-8 text ({err.reason} at byte {err.start}); nothing was imported") \
            from None
    incoming = parse_decisions(text, source)
    session = ReviewSession.open(workspace, readonly=args.dry_run)
    try:
        if not args.dry_run and _cannot_write(session):
            return 1
        plan = plan_merge(incoming, session.store, session.rows, args.prefer)
        if not args.dry_run and plan.record:
            session.store.record_many([(i.key, i.status, i.content_hash, i.edit, i.note) for i in plan.record])
    finally:
        session.close()
    _report_merge(plan, args.prefer, source, args.dry_run)
    return 0


def _report_merge(plan: MergePlan, prefer: str, source: str, dry_run: bool) -> None:
    verb = "would import" if dry_run else "imported"
    print(f"{verb} {_plural(len(plan.record), 'decision')} from {source}")
    print(f"skipped {len(plan.skipped)} (the same decision is already here)")
    theirs = sum(1 for _, side in plan.conflicts if side == "theirs")
    print(f"conflicts {len(plan.conflicts)} (--prefer {prefer}): {theirs} took the file's decision, "
          f"{len(plan.conflicts) - theirs} kept this workspace's")
    for item, side in plan.conflicts:
        print(f"  {'theirs' if side == 'theirs' else 'mine  '}  {item.key}")
    print(f"unknown keys {len(plan.unknown)} (no current sample; imported, they apply if the sample is built again)")
    for item in plan.unknown:
        print(f"  {item.key}")
    if plan.refused:
        print(f"refused {len(plan.refused)} (approvals of answers that do not pass clingo here, without an edit)")
        for item in plan.refused:
            print(f"  {item.key}")
    if plan.duplicates:
        print(f"duplicate lines {plan.duplicates} (several decisions for one key in the file: kept the newest)")
    if dry_run:
        print("dry run: nothing was recorded")
