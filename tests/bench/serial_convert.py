"""The baseline of bench_convert's foreign-cache cases: a serial converter, the plain way.

Reads every benchmark's structure.json, builds one translation sample per non-empty component
(instance, generator, each hard and soft constraint), validates each once with a fresh in-process
clingo.Control grounding it with its context (instance alone; generator with the instance;
constraints with both), and writes the valid ones to train.jsonl / valid.jsonl in mlx-lm's chat
format, a base and its variants in one split. No faithfulness check, no repair pairs, no cache.

    python tests/bench/serial_convert.py --input TREE --output OUT     (prints the sample count)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path

import clingo

SYSTEM = "You translate problem descriptions into clingo ASP."
_VARIANT = re.compile(r"_variant_.*$")


def components(structure: dict) -> list[tuple[str, str, str, str]]:
    """(slot, description, code, context) for every non-empty component."""
    instance, generator = structure.get("instance_template") or "", structure.get("generator") or ""
    both = "\n".join(p for p in (instance, generator) if p.strip())
    out = [("instance", "Encode the given data as facts.", instance, ""),
           ("generator", "Generate the candidate solutions with choice rules.", generator, instance)]
    for kind in ("hard", "soft"):
        for i, rule in enumerate(structure.get(f"{kind}_constraints") or []):
            out.append((f"{kind}/{i}", rule.get("description") or "", rule.get("asp_rule") or "", both))
    return [c for c in out if c[2].strip()]


def valid(code: str, context: str) -> bool:
    # clingo's messages are dropped, not printed: the baseline only needs the yes or no.
    ctl = clingo.Control(logger=lambda _code, _message: None)
    try:
        ctl.add("base", [], f"{context}\n{code}")
        ctl.ground([("base", [])])
    except RuntimeError:
        return False
    return True


def convert(tree: Path, out: Path, valid_share: float = 0.2) -> int:
    splits: dict[str, list[str]] = {"train": [], "valid": []}
    for path in sorted(tree.rglob("structure.json")):
        folder = path.parent
        nl = (folder / "NL.txt").read_text(encoding="utf-8")
        structure = json.loads(path.read_text(encoding="utf-8-sig"))
        group = str(folder.parent / _VARIANT.sub("", folder.name))
        digest = int(hashlib.sha256(group.encode()).hexdigest()[:8], 16) / 16**8
        split = "valid" if digest < valid_share else "train"
        for slot, description, code, context in components(structure):
            if valid(code, context):
                user = f"Problem:\n{nl}\nWrite {slot}: {description}"
                messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user},
                            {"role": "assistant", "content": code}]
                splits[split].append(json.dumps({"messages": messages}, ensure_ascii=False))
    out.mkdir(parents=True, exist_ok=True)
    for name, lines in splits.items():
        (out / f"{name}.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return sum(map(len, splits.values()))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    print(f"samples: {convert(args.input, args.output)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
