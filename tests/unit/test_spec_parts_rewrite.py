"""tools/spec_parts_rewrite.py: reads of SkillSpec's old flat fields become reads of its parts,
once (a second run changes nothing), and nothing that is not a spec is touched."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from assistant.skill_sdk.api import SkillSpec
from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "tools" / "spec_parts_rewrite.py"


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("spec_parts_rewrite", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("spec.offer_intent", "spec.answers.offer_intent"),
        ("self.spec.domain_words", "self.spec.words.domain_words"),
        ("active_spec.fresh_slots", "active_spec.answers.fresh_slots"),
        ("SPEC.slot_docs", "SPEC.llm.slot_docs"),
        ("BROKEN_SPEC.examples[0]", "BROKEN_SPEC.phrasing.examples[0]"),
        ("fakes.SPEC.templates", "fakes.SPEC.phrasing.templates"),
        ("spec.llm_examples", "spec.llm.examples"),
        ("{*s.history.words, s.history.noun}", "{*s.phrasing.history.words, s.phrasing.history.noun}"),
        ("self.skills.spec(it.domain).takes_feedback", "self.skills.spec(it.domain).offers.takes_feedback"),
        ("registry.owner(intent).items_per_offer", "registry.owner(intent).offers.items_per_offer"),
        ("self.skills.specs[0].all_intents", "self.skills.specs[0].answers.all_intents"),
        ("active.slots - asked.slots", "active.answers.slots - asked.answers.slots"),
        ("# ``SkillSpec.trailing_slots``", "# ``SkillSpec.words.trailing_slots``"),
        ("(`SkillSpec.constraint_words`)", "(`SkillSpec.words.constraint_words`)"),
    ],
)
def test_a_read_of_an_old_field_goes_through_its_part(tool: ModuleType, old: str, new: str) -> None:
    text, changes = tool.rewrite_text(f"x = {old}\n")
    assert text == f"x = {new}\n" and changes


@pytest.mark.parametrize(
    "line",
    [
        "parse.slots",  # a parse, a request, a frame: not specs
        "request.slots",
        "frame.topic",
        "self.history.profile(user, spec.name)",  # the history store
        "self.domain_words[spec.name]",  # a matcher's own table
        "skill.intents",  # the Skill protocol's own attribute
        "doc.description",  # a SlotDoc
        "spec.name, spec.load, spec.rank, spec.commands, spec.settings_model",  # still top level
        "request.s.slots",  # ``s`` only as a whole name
        "spec.answers.offer_intent, s.phrasing.history.words, spec.llm.examples",  # already moved
    ],
)
def test_what_is_not_an_old_read_is_left_alone(tool: ModuleType, line: str) -> None:
    assert tool.rewrite_text(line) == (line, [])


def test_a_second_run_changes_nothing(tool: ModuleType) -> None:
    source = (
        "if spec.offers_another and spec.slots and spec.llm_examples:\n"
        "    words = [*s.item_nouns, *s.history.words, spec.description]\n"
    )
    once, changes = tool.rewrite_text(source)
    assert len(changes) == 6
    assert tool.rewrite_text(once) == (once, [])


def test_flat_keywords_are_listed_not_rewritten(tool: ModuleType) -> None:
    source = (
        "SPEC = SkillSpec(name='x', load=f, offer_intent='y', domain_words=('a',), rank=3)\n"
        "OTHER = dataclasses.replace(SPEC, examples=('b',), commands={})\n"
        "TEA = replace(fakes.SPEC, slot_docs={})\n"
        "ITEM = replace(item, title='z', examples=())\n"
    )
    assert tool.flat_keywords(source) == [
        (1, "offer_intent"),
        (1, "domain_words"),
        (2, "examples"),
        (3, "slot_docs"),
    ]


def test_the_script_writes_and_reports(tool: ModuleType, tmp_path: Path, capsys) -> None:
    path = tmp_path / "reader.py"
    path.write_text("def hint(spec):\n    return spec.examples[0] if spec.examples else ''\n")
    assert tool.main(["--no-format", str(path)]) == 0
    assert path.read_text() == (
        "def hint(spec):\n    return spec.phrasing.examples[0] if spec.phrasing.examples else ''\n"
    )
    out = capsys.readouterr().out
    assert "reader.py:2: spec.examples -> spec.phrasing.examples" in out
    assert tool.main(["--check", str(path)]) == 0  # nothing left to do


def test_a_flat_spec_keyword_is_refused() -> None:
    """A spec's fields live in its parts (``answers=Answers(offer_intent=...)``): an old flat
    keyword is no field of SkillSpec, so a skill written against the flat spec fails to load
    with an error naming it rather than losing the value."""
    with pytest.raises(TypeError, match="offer_intent"):
        SkillSpec(name="dice", load=lambda section: None, offer_intent="roll_dice")  # type: ignore[call-arg]


def test_no_read_of_a_flat_field_is_left(tool: ModuleType) -> None:
    """After a merge, a branch's reads of the old flat fields fail here: run
    ``python tools/spec_parts_rewrite.py`` and commit what it prints."""
    folders = ("assistant", "skills", "models", "bench", "evaluation", "testkit", "tests", "docs")
    paths = [REPO_ROOT / "README.md"] + [
        path
        for folder in folders
        for suffix in tool.SUFFIXES
        for path in sorted((REPO_ROOT / folder).rglob(f"*{suffix}"))
        if "artifacts" not in path.relative_to(REPO_ROOT).parts
    ]
    changes, flat = tool.run(paths, write=False)
    assert [f"{c.path.relative_to(REPO_ROOT)}:{c.line}: {c.old}" for c in changes] == []
    assert [f"{path.relative_to(REPO_ROOT)}:{line}: {kw}=" for path, line, kw in flat] == []
