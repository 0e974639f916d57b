"""Issue 14 without the trained models: the mood vocabulary and its training data, the held-out
sets kept apart from training, the spoken transcripts joining training only, and how follow-ons
are read from the skills' declarations."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.contracts.stages import Parse
from assistant.dialogue.followon import FollowOnReader
from assistant.dialogue.phrases import REFINEMENT, domain_words_pattern
from assistant.dialogue.state import DialogueState
from assistant.nlu import data
from assistant.nlu.moods import MOOD_INTENTS, MOOD_LABELS, MOODS, NO_MOOD
from assistant.skill_sdk.api import Answers, Item, SkillSpec, SkillWords
from assistant.skill_sdk.plugins import SkillRegistry
from evaluation.nlu_everyday import HELDOUT_DIR, fold, read_rows


def test_every_mood_has_training_examples_of_each_offer_kind_it_has_words_for() -> None:
    examples = data.load_own()
    moods = {ex.mood for ex in examples}
    assert set(MOODS) <= moods
    per_mood = {m: [ex for ex in examples if ex.mood == m] for m in MOODS}
    for mood, rows in per_mood.items():
        assert len(rows) >= 50, mood
        assert {ex.label for ex in rows} <= MOOD_INTENTS, mood
    assert all(ex.mood in MOOD_LABELS or ex.mood is None for ex in examples)


def test_requests_nobody_labelled_for_mood_teach_the_mood_head_nothing() -> None:
    own = data.load_own()
    described = [ex for ex in own if any(slot == "descriptor" for _, _, slot in ex.spans)]
    assert described and all(ex.mood is None for ex in described)
    assert all(ex.mood == NO_MOOD for ex in own if ex.source == "own/examples_oos")


def test_held_out_everyday_requests_are_never_training_data() -> None:
    train, held_out = data.load_split()
    seen = {ex.text for ex in train} | {ex.text for ex in held_out}
    own_files = ("moods.csv", "names.csv", "names_fresh.csv", "out_of_scope.csv")
    held = [row[-1] for name in own_files for row in read_rows(name)]
    held += [t for first, second, *_ in read_rows("followups.csv") for t in (first, second)]
    assert len(held) > 200
    # A plain command ("play some jazz") may be both; a held-out wording of a mood or name not.
    overlap = {data.clean_text(t) for t in held} & seen
    assert len(overlap) <= 12, sorted(overlap)
    fillers = (data.OWN_DATA_DIR / "fillers.json").read_text(encoding="utf-8").lower()
    for kind, name, _ in read_rows("names.csv") + read_rows("names_fresh.csv"):
        if kind in ("song", "film"):
            assert f'"{fold(name)}"' not in fillers, name


def test_spoken_transcripts_join_training_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    train, held_out = data.load_split()
    spoken = tmp_path / "spoken.csv"
    spoken.write_text(
        f"play_music;play sum jazz\nnews_query;watts the news today\nskip;{held_out[0].text}\n",
        encoding="utf-8",
    )
    intent_only = tmp_path / "spoken_unaligned.csv"
    intent_only.write_text("# slot values misheard\nplay_music;play sum jasmine\n", encoding="utf-8")
    monkeypatch.setattr(data.load_spoken, "__defaults__", (spoken, intent_only))
    train2, held_out2 = data.load_split()
    assert [ex.text for ex in held_out2] == [ex.text for ex in held_out]
    added = {ex.text: ex for ex in train2 if ex.source == "own/spoken"}
    assert set(added) == {"play sum jazz", "watts the news today", "play sum jasmine"}
    assert all(ex.mood is None for ex in added.values())
    # A transcript whose slot words were misheard teaches the intent, not the slots.
    assert [ex.slots_marked for ex in added.values()] == [True, True, False]


@pytest.mark.parametrize(
    ("text", "refines"),
    [
        ("something from the eighties", True),
        ("too busy, something more chilled", True),
        ("a bit calmer please", True),
        ("anything from the nineties", True),
        ("what's the news", False),
        ("will it rain tomorrow", False),
        ("book a table for two", False),
    ],
)
def test_refinement_words(text: str, refines: bool) -> None:
    assert bool(REFINEMENT.search(text.lower())) is refines


def _spec(name: str, intent: str, slots: set[str], words: tuple[str, ...]) -> SkillSpec:
    return SkillSpec(
        name=name,
        load=lambda settings: None,
        answers=Answers(offer_intent=intent, slots=frozenset(slots)),
        words=SkillWords(domain_words=words),
    )


@pytest.fixture
def reader() -> FollowOnReader:
    specs = [
        _spec("tunes", "play_tunes", {"genre", "mood"}, ("tune", "tunes")),
        _spec("pictures", "show_picture", {"painter", "mood"}, ("picture", "painting")),
    ]
    return FollowOnReader(SkillRegistry(specs, loader=lambda name: None))


def _offered(domain: str) -> DialogueState:
    state = DialogueState(user="ann", active_domain=domain)
    state.last_items = [Item("1", "One", domain, "because")]
    return state


def test_a_refinement_stays_with_the_offer_unless_it_names_another_skill(reader: FollowOnReader) -> None:
    state = _offered("tunes")
    parse = Parse("show_picture", 0.57, {"date": "the eighties"}, "something from the eighties")
    assert reader.resolve(parse, state, parse.text) == "play_tunes"
    named = Parse("show_picture", 0.57, {}, "something with a painting")
    assert reader.resolve(named, state, named.text) == "show_picture"
    own_slot = Parse("show_picture", 0.9, {"painter": "monet"}, "something by monet")
    assert reader.resolve(own_slot, state, own_slot.text) == "show_picture"
    unsure = Parse("out_of_scope", 0.6, {"mood": "calm"}, "something calmer")
    assert reader.resolve(unsure, state, unsure.text) == "play_tunes"
    nothing = Parse("out_of_scope", 0.9, {}, "something to eat")
    assert reader.resolve(nothing, state, nothing.text) == "out_of_scope"


def test_more_about_that_asks_the_last_skill_for_more(reader: FollowOnReader) -> None:
    state = _offered("pictures")
    for intent in ("like", "skip", "out_of_scope"):
        parse = Parse(intent, 0.64, {}, "more about that")
        assert reader.resolve(parse, state, parse.text) == "show_picture"
    no_more = Parse("dislike", 0.9, {}, "no more of that")
    assert reader.resolve(no_more, state, no_more.text) == "dislike"


def test_domain_words_come_from_the_spec(reader: FollowOnReader) -> None:
    spec = reader.skills.spec("tunes")
    assert spec is not None
    assert reader.says_domain(spec, "a tune maybe") and not reader.says_domain(spec, "tuneless")
    assert domain_words_pattern(_spec("x", "y", set(), ())) is None


def test_heldout_files_have_the_documented_shape() -> None:
    assert (HELDOUT_DIR / "README.md").exists()
    assert all(len(row) == 3 and row[0] in MOOD_INTENTS for row in read_rows("moods.csv"))
    assert {row[1] for row in read_rows("moods.csv")} == set(MOOD_LABELS)
    for name in ("names.csv", "names_fresh.csv"):
        assert all(
            len(row) == 3 and row[0] in {"song", "artist", "film", "person"} for row in read_rows(name)
        )
    assert all(len(row) == 4 for row in read_rows("followups.csv"))
    assert all(len(row) == 3 and len(row[0]) == 16 for row in read_rows("situations.csv"))


def test_the_moods_the_model_may_name_for_music_are_the_ones_it_plays():
    from skills.music import SPEC
    from skills.music.moods import MUSIC_MOODS

    assert SPEC.llm.slot_docs["mood"].choices == tuple(MUSIC_MOODS)
