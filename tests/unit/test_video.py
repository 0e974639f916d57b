"""The video recommender and skill on the real MovieLens ratings and Wikidata films.

The artifact is built once per session into a temporary folder by the real build step (a few
seconds), so these tests also cover the skill's build step (``skills.video.build``) and
``load_skill``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.artifacts import ArtifactMissingError
from assistant.skill_sdk.api import FeedbackEvent, Item, Skill, SkillRequest, UserProfile

SCI_FI_FANS = ["Alien", "The Terminator", "Blade Runner", "Star Wars: Episode IV - A New Hope"]
CARTOONS = ["Toy Story", "Finding Nemo", "Shrek", "Monsters, Inc."]


@pytest.fixture(scope="session")
def video_skill(tmp_path_factory: pytest.TempPathFactory):
    from skills.video import build, load_skill

    previous = os.environ.get("ASSISTANT_ARTIFACTS")
    os.environ["ASSISTANT_ARTIFACTS"] = str(tmp_path_factory.mktemp("artifacts"))
    try:
        assert "fitted" in build.build(force=False)
        assert build.build(force=False) == "up to date"  # the stamp makes a rerun free
        skill = load_skill()
        from skills.video import vocabulary

        vocab = vocabulary()
    finally:
        if previous is None:
            os.environ.pop("ASSISTANT_ARTIFACTS", None)
        else:
            os.environ["ASSISTANT_ARTIFACTS"] = previous
    return skill, vocab


@pytest.fixture(scope="session")
def skill(video_skill):
    return video_skill[0]


def ids_of(skill, titles: list[str]) -> list[int]:
    ids = [skill.find_title(t) for t in titles]
    assert None not in ids, titles
    return ids


def profile_with(skill, likes: list[str], extra: list[FeedbackEvent] = ()) -> UserProfile:
    events = [FeedbackEvent(str(m), "like", 1_700_000_000 + i) for i, m in enumerate(ids_of(skill, likes))]
    return UserProfile("ana", "video", feedback=[*events, *extra])


def ask(skill, profile: UserProfile | None = None, k: int = 5, **fields) -> object:
    request = SkillRequest(
        intent="recommend_video",
        slots=fields.pop("slots", {}),
        profile=profile or UserProfile("new", "video"),
        k=k,
        **fields,
    )
    return skill.handle(request)


def test_recommender_api_shape(skill) -> None:
    history = [(m, 5.0, 1_000_000_000 + i) for i, m in enumerate(ids_of(skill, SCI_FI_FANS))]
    recs = skill.rec.recommend(history, k=10)
    assert len(recs) == 10
    assert {r.item_id for r in recs}.isdisjoint(m for m, _, _ in history)
    assert all(isinstance(r.item_id, int) and r.reason for r in recs)
    scores = [r.score for r in recs]
    assert scores == sorted(scores, reverse=True)


def test_fit_on_a_ratings_frame_folds_in_a_new_person() -> None:
    import pandas as pd

    from skills.video.catalog import movielens_ratings
    from skills.video.recommender import VideoRecommender

    ratings = movielens_ratings()
    ratings = ratings[ratings["userId"] <= 100][["userId", "movieId", "rating", "timestamp"]]
    catalog = pd.DataFrame(columns=["title", "year", "genres", "director", "cast"])
    rec = VideoRecommender.fit(ratings, catalog=catalog)
    person = ratings[ratings["userId"] == 7]
    history = list(person[["movieId", "rating", "timestamp"]].itertuples(index=False, name=None))
    recs = rec.recommend(history, k=10)
    assert len(recs) == 10 and {r.item_id for r in recs}.isdisjoint(person["movieId"])


def test_skill_contract_and_vocabulary(skill, video_skill) -> None:
    vocab = video_skill[1]
    assert isinstance(skill, Skill) and skill.name == "video"
    assert skill.intents == frozenset({"recommend_video"})
    assert "Science Fiction" in vocab["movie_genre"] and "Comedy" in vocab["movie_genre"]
    assert "Alien" in vocab["title"] and "Ridley Scott" in vocab["person"]


def test_new_user_gets_what_is_popular_now(skill) -> None:
    result = ask(skill, k=3)
    assert len(result.items) == 3
    assert all(item.reason == "popular right now" for item in result.items)
    assert all(item.domain == "video" and item.id.isdigit() and item.subtitle for item in result.items)


def test_history_personalises_and_reasons_name_a_film_the_user_liked(skill) -> None:
    fresh = [i.id for i in ask(skill, k=5).items]
    result = ask(skill, profile_with(skill, SCI_FI_FANS), k=5)
    assert [i.id for i in result.items] != fresh
    liked_titles = {str(skill.catalog.loc[m, "title"]) for m in ids_of(skill, SCI_FI_FANS)}
    named = [i.reason for i in result.items if any(t in i.reason for t in liked_titles)]
    assert named, [i.reason for i in result.items]
    assert all("liked" in reason for reason in named)


def test_feedback_changes_the_next_offer(skill) -> None:
    profile = profile_with(skill, SCI_FI_FANS)
    first = ask(skill, profile, k=1).items[0]
    disliked = profile_with(
        skill,
        SCI_FI_FANS,
        [FeedbackEvent(first.id, "dislike", 1_700_000_100)],
    )
    disliked.offered.append(FeedbackEvent(first.id, "offer", 1_700_000_099))
    after = ask(skill, disliked, k=5).items
    assert first.id not in {i.id for i in after}

    # Liking cartoons within the session moves the offers towards animation.
    def animated(profile: UserProfile) -> int:
        return sum("Animation" in i.meta["genres"] for i in ask(skill, profile, k=5).items)

    assert animated(profile_with(skill, SCI_FI_FANS + CARTOONS)) >= animated(profile) + 2


def test_never_reoffers_excluded_or_offered_items(skill) -> None:
    top = [i.id for i in ask(skill, k=3).items]
    profile = UserProfile("new", "video", offered=[FeedbackEvent(top[0], "offer", 1.0)])
    again = ask(skill, profile, k=3, exclude={top[1]})
    assert {i.id for i in again.items}.isdisjoint(top[:2])


@pytest.mark.parametrize(("spoken", "genre"), [("comedy", "Comedy"), ("sci fi", "Science Fiction")])
def test_genre_slot_is_honoured(skill, spoken: str, genre: str) -> None:
    result = ask(skill, profile_with(skill, SCI_FI_FANS), slots={"movie_genre": spoken})
    assert len(result.items) == 5
    assert all(genre in item.meta["genres"] for item in result.items)


def test_decade_and_not_too_long(skill) -> None:
    nineties = ask(skill, slots={"date": "the nineties"}).items
    assert all(1990 <= item.meta["year"] <= 1999 for item in nineties)
    short = ask(skill, slots={"descriptor": "not too long"}).items
    assert all(item.meta["runtime"] is not None and item.meta["runtime"] <= 105 for item in short)
    assert all("under 105 minutes" in item.reason for item in short)


def test_something_like_a_title(skill) -> None:
    result = ask(skill, slots={"title": "alien"})
    titles = [item.title for item in result.items]
    assert "Aliens" in titles and "Alien" not in titles
    assert all("Alien" in item.reason for item in result.items)
    anchored = ask(skill, k=3, anchor=Item(str(skill.find_title("Toy Story")), "Toy Story", "video", ""))
    assert "Toy Story 2" in [i.title for i in anchored.items]


def test_unknown_title_gets_an_honest_answer_and_alternatives(skill) -> None:
    result = ask(skill, slots={"title": "Zzyzx Qwerty"}, k=3)
    assert result.text.startswith("I don't know a film called Zzyzx Qwerty")
    assert len(result.items) == 3
    close = ask(skill, slots={"title": "Alienz from Mars"}, k=3)
    assert "I don't know a film called Alienz from Mars" in close.text and "Alien" in close.text


def test_missing_artifact_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from skills.video import load_skill

    monkeypatch.setenv("ASSISTANT_ARTIFACTS", str(tmp_path))
    with pytest.raises(ArtifactMissingError):
        load_skill()
