"""The conversation bench's judge (bench/conversation_judge.py) on hand-made turn records.

No pipeline runs here: the records are what bench/_conversations_worker.py writes for a turn,
so these stay in the fast tier and check the rules a turn is judged by.
"""

from __future__ import annotations

from typing import Any

from bench.conversation_judge import acts_of, judge_conversation, judge_turn, normalise_slots


def film(title: str, genres: list[str], year: int, reason: str = "popular") -> dict[str, Any]:
    return {
        "id": title,
        "title": title,
        "domain": "video",
        "reason": reason,
        "subtitle": "",
        "score": 1.0,
        "meta": {"genres": genres, "year": year},
    }


def turn(act: str, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    record = {"say": "", "act": act, "domain": "video", "slots": {}, "items": items, "response": ""}
    record.update({"state": None, "elapsed_ms": 10.0, "error": None}, **extra)
    return record


COMEDY = {"domain": "video", "act": "offer", "item": {"genres": ["Comedy"], "years": [1980, 1989]}}


def test_an_item_meeting_every_constraint_is_right_and_one_missing_any_is_wrong():
    right = judge_turn(COMEDY, [turn("recommend", [film("Airplane!", ["Comedy"], 1980)])], 0)
    assert right.right and not right.misses
    wrong_genre = judge_turn(COMEDY, [turn("recommend", [film("Alien", ["Horror"], 1979)])], 0)
    assert not wrong_genre.right
    assert "not Comedy" in wrong_genre.misses and any("year" in m for m in wrong_genre.misses)
    # An expected item with nothing offered is wrong; a question answered is not an offer.
    assert not judge_turn(COMEDY, [turn("recommend", [])], 0).right
    assert not judge_turn(COMEDY, [turn("confirm", [film("Airplane!", ["Comedy"], 1980)])], 0).right


def test_children_and_exclusions_read_the_items_genres():
    kids = {"act": "offer", "item": {"children": True, "not_genres": ["Horror"]}}
    assert judge_turn(kids, [turn("skip", [film("Toy Story", ["Animation", "Family"], 1995)])], 0).right
    # Family, but also Crime: not a film for children.
    assert not judge_turn(kids, [turn("skip", [film("Home Alone?", ["Family", "Crime"], 1990)])], 0).right


def test_acts_map_to_the_files_names():
    assert acts_of("dislike", "video", [film("X", [], 2000)]) == {"dislike", "offer"}
    assert acts_of("music_query", "music", []) == {"question"}
    assert acts_of("confirm", "video", []) == {"confirm"}
    assert acts_of("out_of_scope", None, []) == {"out_of_scope"}


def test_baseline_slots_normalise_to_catalog_genres_and_a_span():
    frame = normalise_slots("video", {"movie_genre": "funny", "date": "the eighties"})
    assert frame.genres == {"Comedy"} and frame.years == (1980, 1989)
    several = normalise_slots("video", {"movie_genre": "scary|Kids", "exclude": "war films"})
    assert several.genres == {"Horror", "Family"} and several.not_genres == {"War"}
    # The new dialogue's state says the same in its own slots: one normaliser for both.
    state = normalise_slots(
        "video", {"movie_genre": "Comedy|Family", "era": "1980-1989"}, {"movie_genre": ["Horror"]}
    )
    assert state.genres == {"Comedy", "Family"} and state.years == (1980, 1989)
    assert state.not_genres == {"Horror"}


def test_the_frame_is_the_state_when_there_is_one_else_the_last_offers_slots():
    conversation = {
        "id": "t1",
        "kinds": ["refine"],
        "turns": [
            {"say": "suggest a movie", "expect": {"domain": "video", "act": "offer"}},
            {
                "say": "something funnier",
                "expect": {"domain": "video", "act": "offer", "frame": {"genres": ["Comedy"]}},
            },
            {
                "say": "i like it",
                "expect": {"domain": "video", "act": "like", "frame": {"genres": ["Comedy"]}},
            },
        ],
    }
    older = [
        turn("recommend", [film("Alien", ["Horror"], 1979)]),
        turn("recommend", [film("Airplane!", ["Comedy"], 1980)], slots={"movie_genre": "funny"}),
        turn("like", []),  # a like carries no slots: the frame is still the last offer's
    ]
    assert [v.frame_right for v in judge_conversation(conversation, older)] == [None, True, True]
    state = {"domain": "video", "constraints": {}, "exclude": {}, "reference": None}
    forgot = [*older[:2], turn("like", [], state=state)]
    assert judge_conversation(conversation, forgot)[2].frame_right is False
    # A turn the worker never reached is wrong, and so is its frame.
    short = judge_conversation(conversation, older[:1])
    assert [v.right for v in short] == [True, False, False] and short[2].frame_right is False


def test_a_reference_is_resolved_by_the_state_a_reason_or_the_response():
    expect = {"act": "offer", "reference": "Alien"}
    by_reason = turn("recommend", [film("Aliens", ["Action"], 1986, reason="similar to Alien, as you asked")])
    assert judge_turn(expect, [by_reason], 0).right
    state = {
        "domain": "video",
        "constraints": {},
        "exclude": {},
        "reference": {"id": "1", "title": "Alien", "domain": "video"},
    }
    assert judge_turn(expect, [turn("recommend", [film("Heat", ["Crime"], 1995)], state=state)], 0).right
    assert not judge_turn(expect, [turn("recommend", [film("Heat", ["Crime"], 1995)])], 0).right


def test_an_empty_frame_expects_nothing_in_force():
    fresh = {"domain": "video", "act": "offer", "frame": {}}
    kept = turn("recommend", [film("Airplane!", ["Comedy"], 1980)], slots={"movie_genre": "Comedy"})
    verdict = judge_turn(fresh, [kept], 0)
    # Nothing expected is missing, but the comedy should have been dropped.
    assert verdict.frame_right is True and verdict.frame_exact is False
    assert judge_turn(fresh, [turn("recommend", [film("Heat", ["Crime"], 1995)])], 0).frame_exact is True
