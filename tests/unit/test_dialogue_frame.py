"""The dialogue's frame, references and declared matchers on the fast tier: the real pipeline,
dialogue, NLG and store with the keyword NLU and the tea skill of ``tests/support/fakes.py``."""

from __future__ import annotations

import time

import pytest

from assistant.dialogue import DialogueManager
from assistant.dialogue.frame import Frame, FrameTracker, FrameUpdate, is_pointer
from assistant.dialogue.likes import ToldLikes
from assistant.skill_sdk.api import Answers, Item, SkillRequest, SkillResult, SkillSpec
from assistant.skill_sdk.plugins import SkillRegistry
from tests.support.fakes import SPEC as TEA

pytestmark = pytest.mark.timeout(60)
WALL = 1_795_435_200.0


def say(pipeline, session, text: str, n: int):
    return pipeline.run_turn(session, text=text, wall_time=WALL + 60 * n)


def test_words_fill_the_frame_and_a_negated_value_is_ruled_out():
    tracker = FrameTracker([TEA], frozenset({"date"}))
    update = tracker.read(TEA, {}, "hmm, not black, something caffeine free")
    assert update.constraints == {"kind": "herbal"} and update.excluded == {"kind": ["black"]}
    # "too strong": ruled out, and taken out of what was asked for.
    frame = tracker.apply(
        Frame("tea", {"kind": "black"}), tracker.read(TEA, {}, "too strong"), TEA.answers.fresh_slots
    )
    assert frame.constraints == {} and frame.excluded == {"kind": ["black"]}


def test_a_fresh_request_keeps_only_what_was_ruled_out():
    tracker = FrameTracker([TEA], frozenset())
    ref = Item("tea:sencha", "Sencha", "tea", "")
    frame = Frame("tea", {"kind": "green"}, {"kind": ["black"]}, ref)
    fresh = tracker.apply(
        frame, FrameUpdate(constraints={"kind": "herbal"}), TEA.answers.fresh_slots
    )  # kind is fresh
    assert fresh.constraints == {"kind": "herbal"} and fresh.excluded == {"kind": ["black"]}
    assert fresh.reference is None
    # Asking again for a value ruled out lifts the "not".
    back = tracker.apply(fresh, FrameUpdate(constraints={"kind": "black"}), frozenset())
    assert back.excluded == {} and back.constraints == {"kind": "black"}
    assert back.to_dict() == {
        "domain": "tea",
        "constraints": {"kind": "black"},
        "exclude": {},
        "reference": None,
    }


@pytest.mark.parametrize("value", ["it", "That one", "this", "the first one", "last night", "yesterday"])
def test_a_pointer_or_a_time_is_never_a_name(value):
    assert is_pointer(value)


@pytest.mark.parametrize("value", ["It Follows", "Alien", "Last Night in Soho", "the princess bride"])
def test_a_title_is_a_title(value):
    assert not is_pointer(value)


@pytest.mark.parametrize(
    ("text", "wanted", "ruled_out"),
    [
        ("hmm not black green", {"kind": "green"}, ["black"]),
        ("no not black i want herbal", {"kind": "herbal"}, ["black"]),
        ("not black, herbal instead", {"kind": "herbal"}, ["black"]),
        ("not black or green", {}, ["black", "green"]),
        ("no not black it's too much for me some green", {"kind": "green"}, ["black"]),
        ("no black and no green", {}, ["black", "green"]),
    ],
)
def test_a_value_said_straight_after_a_ruled_out_one_is_wanted_instead(text, wanted, ruled_out):
    update = FrameTracker([TEA], frozenset()).read(TEA, {}, text)
    assert update.constraints == wanted and update.excluded == ({"kind": ruled_out} if ruled_out else {})


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("i watched alien last night and loved it", "alien"),
        ("my favourite film is heat", "heat"),
        ("my all time favourite band has to be radiohead", "radiohead"),
        ("i'm a big radiohead fan", "radiohead"),
        ("i'm a huge fan of miles davis", "miles davis"),
        ("my daughter's mad about olivia rodrigo", "olivia rodrigo"),
        ("i've been lowkey obsessed with hozier lately", "hozier"),
        ("my daughter's six and she can't get enough of shrek", "shrek"),
        ("honestly i could watch some like it hot every week", "some like it hot"),
        ("my wife's been obsessed with pride and prejudice since she was a teenager", "pride and prejudice"),
        ("and fargo was great", "fargo"),
        ("i also really liked the princess bride", "the princess bride"),
        ("my little girl adores my neighbor totoro", "my neighbor totoro"),
        ("honestly i've never liked the rolling stones", "the rolling stones"),
        ("i really can't stand love actually", "love actually"),
        ("i grew up on the beatles", "the beatles"),
        ("my favourite film ever is probably heat", "heat"),
        ("psycho on the other hand is brilliant", "psycho"),
        ("what else would we enjoy like that", None),
        ("my sister made me watch mamma mia and honestly i couldn't stand it", "mamma mia"),
        ("i loved it", None),
        ("that was great", None),
        ("i'd like some jazz", None),
    ],
)
def test_likes_told_in_passing_give_the_name(text, name):
    from assistant.dialogue.likes import said_name

    likes = ToldLikes(SkillRegistry([TEA]))
    assert said_name(text, likes.patterns, likes.trim) == name


def test_refinements_corrections_and_returns_update_one_frame(fake_pipeline):
    session = fake_pipeline.start_session("ann", seed=1)
    first = say(fake_pipeline, session, "some green tea", 1)
    assert first.state == {
        "domain": "tea",
        "constraints": {"kind": "green"},
        "exclude": {},
        "reference": None,
    }
    # No domain word and the classifier has nothing: the tea offer is refined by its own words.
    calmer = say(fake_pipeline, session, "hmm, something caffeine free instead", 2)
    assert calmer.state["constraints"] == {"kind": "herbal"} and calmer.items
    assert all(i.reason == "a herbal tea" for i in calmer.items)
    not_black = say(fake_pipeline, session, "nothing strong, please", 3)
    assert not_black.state["exclude"] == {"kind": ["black"]}
    assert not_black.state["constraints"] == {"kind": "herbal"}
    ends = [e.to_dict() for e in calmer.events if e.type == "dialogue-end"]
    assert ends[0]["matcher"] == "frame_update" and ends[0]["frame"]["constraints"] == {"kind": "herbal"}
    # The frame is in the history row's events too: replay and golden tests read it there.
    rows = fake_pipeline.store.turns(session_id=session.id)
    assert '"matcher": "frame_update"' in rows[1]["events"]


def test_another_like_said_with_too_after_one_told_by_name():
    from assistant.dialogue.likes import ALSO_TOLD

    assert ALSO_TOLD.match("oh and unforgiven too").group("name") == "unforgiven"
    assert ALSO_TOLD.match("and heat as well").group("name") == "heat"
    assert ALSO_TOLD.match("play heat too") is None


def test_a_like_told_by_name_is_what_it_points_at_next(fake_pipeline):
    session = fake_pipeline.start_session("bo", seed=2)
    liked = say(fake_pipeline, session, "i love darjeeling tea", 1)
    assert liked.response.startswith(("Noted", "Glad", "Got it")) and "Darjeeling" in liked.response
    rows = fake_pipeline.store.feedback("bo")
    assert [(r["item_id"], r["kind"]) for r in rows] == [("tea:darjeeling", "like")]


def test_matchers_are_one_declared_list():
    manager = DialogueManager(SkillRegistry([TEA]), history=None)  # type: ignore[arg-type]
    assert [name for name, _ in manager.matchers] == [
        "user_switch",
        "converse",
        "aside",
        "told_like",
        "item_question",
        "play_it",
        "frame_update",
        "pending_answer",
        "return",
        "words_name_skill",
        "offer",
        "skill_question",
        "core_intent",
        "out_of_scope",
    ]
    assert {"skip", "like", "explain", "stop"} <= set(manager.core_intents)


class SlowConverser:
    """A skill whose converse hangs: the speaker must not hang with it."""

    name = "slow"
    intents = frozenset({"recommend_slow"})

    def handle(self, request: SkillRequest) -> SkillResult:
        return SkillResult([Item("slow:1", "One", "slow", "because")])

    def converse(self, request: SkillRequest) -> SkillResult | None:
        time.sleep(2)
        return SkillResult([Item("slow:2", "Two", "slow", "because")])


def test_the_active_skills_converse_has_a_time_limit(fake_pipeline, monkeypatch):
    import assistant.dialogue.offers as offers
    from tests.support.fakes import KeywordNLU

    slow = SkillSpec(
        name="slow",
        load=lambda settings: SlowConverser(),
        answers=Answers(offer_intent="recommend_slow"),
        rank=5,
    )
    fake_pipeline.dialogue = DialogueManager(SkillRegistry([slow, TEA]), fake_pipeline.store)
    fake_pipeline.nlu = KeywordNLU([(r"slow", "recommend_slow", 0.9), (r"\bwhy\b", "explain", 0.9)])
    monkeypatch.setattr(offers, "CONVERSE_TIMEOUT_S", 0.2)
    session = fake_pipeline.start_session("cy", seed=3)
    assert say(fake_pipeline, session, "something slow", 1).items[0].id == "slow:1"
    started = time.perf_counter()
    why = say(fake_pipeline, session, "why", 2)
    assert time.perf_counter() - started < 1.5
    assert why.intent == "explain" and "One" in why.response


def test_a_question_about_it_is_answered_by_the_items_skill(fake_pipeline):
    session = fake_pipeline.start_session("di", seed=4)
    offered = say(fake_pipeline, session, "some black tea", 1).items[0]
    asked = say(fake_pipeline, session, "hmm, where is that one from", 2)
    assert asked.response == f"{offered.title} comes from {offered.subtitle}."
    ends = [e.to_dict() for e in asked.events if e.type == "dialogue-end"]
    assert ends[0]["matcher"] == "item_question" and ends[0]["domain"] == "tea"
    # A question the skill cannot answer from the item goes on as before.
    assert say(fake_pipeline, session, "why that one", 3).intent == "explain"


def test_the_second_one_is_the_second_item_offered():
    from assistant.dialogue.frame import ordinal_item

    items = [Item(str(i), f"Story {i}", "news", "") for i in range(3)]
    assert ordinal_item("tell me more about the second one", items).title == "Story 1"
    assert ordinal_item("the last story", items).title == "Story 2"
    assert ordinal_item("the third one", items[:2]) is None


@pytest.mark.parametrize(
    ("text", "had"),
    [
        ("she's seen it", True),
        ("he's already watched that", True),
        ("seen it go again", True),
        ("not that one he's seen it", True),
        ("the kids have seen that one", True),
        ("we've both seen it", True),
        ("what's it about", False),
        ("she's six", False),
    ],
)
def test_already_seen_asks_for_another(text, had):
    from assistant.dialogue.phrases import ALREADY_HAD

    assert bool(ALREADY_HAD.search(text)) is had


@pytest.mark.parametrize(
    ("text", "slot", "wanted", "ruled_out"),
    [
        # A list after one negation rules out each value; a comma alone does not.
        ("so no war films or crime", "movie_genre", [], ["War", "Crime"]),
        ("not the eighties, the nineties", "era", ["1990-1999"], ["1980-1989"]),
        # A negation stops at the next value: the son is not ruled out with the songs.
        ("and nothing with songs my son hates musicals", "audience", ["children"], []),
        ("and nothing with songs my son hates musicals", "movie_genre", [], ["Musical"]),
        ("wait no i can't face singing tonight give me a drama", "movie_genre", ["Drama"], ["Musical"]),
        ("hmm no something less soppy a comedy", "movie_genre", ["Comedy"], ["Romance"]),
        # "Too much" complains about the offer; what follows it is wanted.
        ("ooh that's too much something gentler", "mood", ["calm"], []),
        ("a romcom please", "movie_genre", ["Romance", "Comedy"], []),
        # A "no" answering the offer, then what is wanted; a value asked for again after it
        # was ruled out is wanted.
        ("no i meant the nineties", "era", ["1990-1999"], []),
        ("wait no nineties i meant the nineties", "era", ["1990-1999"], []),
        ("no more comedies, a drama", "movie_genre", ["Drama"], ["Comedy"]),
        # "No X, not Y": X is wanted; "not X not Y" rules out both.
        ("no comedy not horror", "movie_genre", ["Comedy"], ["Horror"]),
        ("not comedy not horror", "movie_genre", [], ["Comedy", "Horror"]),
    ],
)
def test_the_film_words_negations_and_lists(text, slot, wanted, ruled_out):
    from assistant.dialogue.frame import ConstraintWords
    from skills.video import SPEC as VIDEO

    said = [(value, out) for s, value, out in ConstraintWords([VIDEO]).mentions(VIDEO, text) if s == slot]
    assert {v for v, out in said if not out} == set(wanted)
    assert {v for v, out in said if out} == set(ruled_out)
