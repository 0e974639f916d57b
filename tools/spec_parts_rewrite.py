"""Rewrite reads of ``SkillSpec``'s old flat fields to the parts they moved into.

``SkillSpec`` (``assistant/skill_sdk/api.py``) was one flat dataclass; its fields now live in
parts (``assistant/skill_sdk/spec.py``): ``spec.offer_intent`` is ``spec.answers.offer_intent``,
``spec.domain_words`` is ``spec.words.domain_words``, ``spec.llm_examples`` is
``spec.llm.examples``, and so on (``MOVED`` below). This script rewrites every such read in the
repository's Python and Markdown files, so code written against the flat spec on another branch
is brought over after a merge by running it again::

    python tools/spec_parts_rewrite.py            # every tracked or new .py and .md file
    python tools/spec_parts_rewrite.py FILE ...   # only these files
    python tools/spec_parts_rewrite.py --check    # change nothing; exit 1 if something would

It prints each change (``path:line: old -> new``), then runs ``ruff format`` on the Python files
it changed (a longer path may need a line break; ``--no-format`` skips that). Running it twice
changes nothing: a rewritten read has a part name between the spec and the field, so it no
longer matches.

What it can and cannot see:

- A read is rewritten when the expression before the dot is one the code uses for a spec
  (``RECEIVER``): ``spec``, ``self.spec``, ``active_spec``, ``SPEC``, ``TEA``, ``SkillSpec`` (in
  docstrings and docs), ``registry.spec(name)``, ``skills.owner(intent)``, ``specs[0]``, and the
  short names the dialogue code gives a spec (``s``, ``asked``, ``active``, ``other``,
  ``named``, ``last``, ``own``, ``owner``). It reads no types: a non-spec under one of those
  names with a field of the same name (``last.slots`` for a parse) would be rewritten too, so
  read the printed changes. A spec under any other name is not seen; add the name and rerun.
- Building a spec with an old flat keyword (``SkillSpec(..., domain_words=...)``) is not
  rewritten: the keyword has to move into its part by hand (``words=SkillWords(...)``). The
  script lists each such keyword it finds, and constructing the spec fails with a TypeError.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# Old flat field (or property) of SkillSpec -> its path from the spec now.
MOVED: dict[str, str] = {
    # Answers: the intents that reach the skill and the slots its requests carry.
    "offer_intent": "answers.offer_intent",
    "intents": "answers.intents",
    "all_intents": "answers.all_intents",
    "slots": "answers.slots",
    "fresh_slots": "answers.fresh_slots",
    "named_item_slot": "answers.named_item_slot",
    "also_names": "answers.also_names",
    "combine_values": "answers.combine_values",
    "exclusion_slots": "answers.exclusion_slots",
    # SkillWords: the words people use for the skill.
    "routes": "words.routes",
    "domain_words": "words.domain_words",
    "item_nouns": "words.item_nouns",
    "name_cues": "words.name_cues",
    "not_names": "words.not_names",
    "constraint_words": "words.constraint_words",
    "slot_words": "words.slot_words",
    "trailing_slots": "words.trailing_slots",
    "vocabulary": "words.vocabulary",
    # SkillPhrasing: how the core speaks of the skill.
    "examples": "phrasing.examples",
    "description": "phrasing.description",
    "topic": "phrasing.topic",
    "what": "phrasing.what",
    "templates": "phrasing.templates",
    "unknown_name_key": "phrasing.unknown_name_key",
    "history": "phrasing.history",
    "preference_phrases": "phrasing.preference_phrases",
    # OfferPolicy: what happens around an offer.
    "items_per_offer": "offers.items_per_offer",
    "offers_another": "offers.offers_another",
    "takes_feedback": "offers.takes_feedback",
    "says_reason": "offers.says_reason",
    # ModelHints: what the language model is told.
    "slot_docs": "llm.slot_docs",
    "llm_examples": "llm.examples",
}

# The short names the code gives a spec (dialogue matchers, comprehensions, tests).
SHORT_NAMES = ("s", "asked", "active", "other", "named", "last", "own", "owner", "TEA")

# An expression that holds a SkillSpec. It must not follow a word character or a dot, so
# ``request.s.slots`` or ``frame.topic`` never match.
RECEIVER = (
    r"(?<![\w.])(?:"
    r"(?:\w+\.)*(?:\w+_)?spec"  # spec, self.spec, outcome.spec, active_spec
    r"|(?:\w+\.)*(?:[A-Z0-9]+_)*SPEC"  # SPEC, BROKEN_SPEC, fakes.SPEC
    r"|SkillSpec"  # SkillSpec.field in docstrings, comments and docs
    r"|(?:\w+\.)*(?:spec|owner|offer_owner)\([^()\n]*\)"  # registry.spec(name), skills.owner(i)
    r"|(?:\w+\.)*(?:specs|SPECS)\[[^\[\]\n]*\]"  # specs[0], SPECS[name]
    r"|(?:\w+\.)*skills\.default"  # the registry's default skill
    r"|" + "|".join(SHORT_NAMES) + r")"
)
# receiver . old field, not followed by more of a name.
PATTERN = re.compile(
    r"(?P<receiver>" + RECEIVER + r")\.(?P<field>" + "|".join(sorted(MOVED, key=len, reverse=True)) + r")\b"
)
SUFFIXES = (".py", ".md")
# This script and its test, whose examples are old reads on purpose.
SKIP = {Path(__file__).resolve(), REPO_ROOT / "tests" / "unit" / "test_spec_parts_rewrite.py"}


@dataclass(frozen=True)
class Change:
    path: Path
    line: int
    old: str
    new: str


def rewrite_text(text: str) -> tuple[str, list[tuple[int, str, str]]]:
    """``text`` with every old read rewritten, and (line, old, new) for each change."""
    changes: list[tuple[int, str, str]] = []

    def replace(match: re.Match[str]) -> str:
        old = match.group(0)
        new = f"{match.group('receiver')}.{MOVED[match.group('field')]}"
        changes.append((text.count("\n", 0, match.start()) + 1, old, new))
        return new

    return PATTERN.sub(replace, text), changes


def flat_keywords(text: str) -> list[tuple[int, str]]:
    """(line, keyword) for each old flat keyword given to ``SkillSpec(...)`` or to
    ``dataclasses.replace`` of a spec: these move into their part by hand."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name == "replace" and node.args:
            target = ast.unparse(node.args[0])
            if not re.fullmatch(RECEIVER, target):
                continue
        elif name != "SkillSpec":
            continue
        found.extend((kw.lineno, kw.arg) for kw in node.keywords if kw.arg in MOVED)
    return found


def repository_files() -> list[Path]:
    """Every tracked or new (not ignored) .py and .md file of the repository."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    return [REPO_ROOT / name for name in listed if name.endswith(SUFFIXES)]


def run(paths: Iterable[Path], write: bool) -> tuple[list[Change], list[tuple[Path, int, str]]]:
    """Rewrite ``paths`` (when ``write``); the changes made and the flat keywords left."""
    changes: list[Change] = []
    flat: list[tuple[Path, int, str]] = []
    for path in paths:
        path = path.resolve()
        if path in SKIP or not path.is_file() or path.suffix not in SUFFIXES:
            continue
        text = path.read_text(encoding="utf-8")
        new_text, found = rewrite_text(text)
        changes.extend(Change(path, line, old, new) for line, old, new in found)
        if path.suffix == ".py":
            flat.extend((path, line, kw) for line, kw in flat_keywords(new_text))
        if write and new_text != text:
            path.write_text(new_text, encoding="utf-8")
    return changes, flat


def shown(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def format_files(paths: Sequence[Path]) -> None:
    """``ruff format`` on the changed Python files: a longer read may need a line break."""
    if not paths:
        return
    done = subprocess.run([sys.executable, "-m", "ruff", "format", *map(str, paths)], check=False)
    if done.returncode != 0:
        print("ruff format failed; run it on the files above", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="files to rewrite (default: the repository)")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a read is old")
    parser.add_argument("--no-format", action="store_true", help="do not run ruff format afterwards")
    args = parser.parse_args(argv)
    paths = args.paths or repository_files()
    changes, flat = run(paths, write=not args.check)
    for change in changes:
        print(f"{shown(change.path)}:{change.line}: {change.old} -> {change.new}")
    for path, line, keyword in flat:
        print(f"{shown(path)}:{line}: flat keyword {keyword}= -> move it into {MOVED[keyword]} by hand")
    files = sorted({c.path for c in changes})
    verb = "would change" if args.check else "changed"
    print(f"{verb} {len(changes)} read(s) in {len(files)} file(s); {len(flat)} flat keyword(s) left")
    if not args.check and not args.no_format:
        format_files([p for p in files if p.suffix == ".py"])
    return 1 if (args.check and changes) or flat else 0


if __name__ == "__main__":
    sys.exit(main())
