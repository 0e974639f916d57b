"""The video recommender's public API and the video skill, on the real MovieLens data."""

from __future__ import annotations

import random

import pytest

from assistant.skill_sdk.api import FeedbackEvent, Item, SkillRequest, UserProfile


@pytest.fixture(scope="module")
def ratings():
    from skills.video.catalog import movielens_ratings

    return movielens_ratings()


@pytest.fixture(scope="module")
def skill():
    from skills.video import load_skill

    return load_skill()


def request(profile: UserProfile, **kw) -> SkillRequest:
    return SkillRequest("recommend_video", kw.pop("slots", {}), profile, rng=random.Random(0), **kw)


def test_public_api_folds_in_a_new_person(ratings):
    from skills.video.recommender import VideoRecommender

    rec = VideoRecommender.fit(ratings[["userId", "movieId", "rating", "timestamp"]])
    alien, aliens = 1214, 1200  # Alien (1979), Aliens (1986)
    history = [(alien, 5.0, 1_400_000_000), (260, 4.5, 1_400_000_100)]  # and Star Wars
    out = rec.recommend(history, k=10)
    assert len(out) == 10
    assert all(r.item_id not in (alien, 260) for r in out)
    assert all(isinstance(r.score, float) and r.reason for r in out)
    assert len({r.item_id for r in out}) == 10
    assert aliens in [r.item_id for r in rec.recommend(history, k=50)]
    new_user = rec.recommend([], k=5)
    assert len(new_user) == 5 and all(r.reason for r in new_user)


@pytest.mark.artifacts
def test_new_user_gets_popular_films_with_reasons(skill):
    result = skill.handle(request(UserProfile("new", "video"), k=3))
    assert len(result.items) == 3
    assert all(i.domain == "video" and i.reason and i.id.isdigit() for i in result.items)


@pytest.mark.artifacts
def test_liked_film_shapes_the_next_offer_and_its_reason(skill):
    liked = FeedbackEvent("1214", "like", 1.0)  # Alien
    profile = UserProfile("fan", "video", feedback=[liked])
    items = skill.handle(request(profile, k=5)).items
    assert "1214" not in [i.id for i in items]
    assert any("Alien" in i.reason for i in items), [i.reason for i in items]


@pytest.mark.artifacts
def test_dislike_changes_the_next_offer(skill):
    first = skill.handle(request(UserProfile("u", "video"))).items[0]
    profile = UserProfile(
        "u",
        "video",
        offered=[FeedbackEvent(first.id, "offer", 1.0)],
        feedback=[FeedbackEvent(first.id, "dislike", 2.0)],
    )
    second = skill.handle(request(profile)).items[0]
    assert second.id != first.id


@pytest.mark.artifacts
def test_genre_and_decade_slots_are_honoured(skill):
    items = skill.handle(
        request(UserProfile("u", "video"), k=5, slots={"movie_genre": "sci fi", "date": "the nineties"})
    ).items
    assert items
    for item in items:
        assert "Science Fiction" in item.meta["genres"] or "Sci-Fi" in item.meta["genres"], item.meta
        assert 1990 <= item.meta["year"] <= 1999


@pytest.mark.artifacts
def test_something_like_a_title_and_an_unknown_title(skill):
    like = skill.handle(request(UserProfile("u", "video"), k=3, slots={"title": "alien"}))
    assert any("Alien" in i.reason for i in like.items)
    unknown = skill.handle(request(UserProfile("u", "video"), slots={"title": "zzxq flibbertigibbet"}))
    assert "I don't know a film called zzxq flibbertigibbet" in unknown.text and unknown.items


@pytest.mark.artifacts
def test_more_like_this_uses_the_anchor(skill):
    anchor = Item("1214", "Alien", "video", "")
    items = skill.handle(request(UserProfile("u", "video"), k=3, anchor=anchor)).items
    assert items and all(i.id != "1214" for i in items)
    assert any("similar to Alien" in i.reason for i in items)


@pytest.mark.artifacts
def test_a_joined_mood_is_read_as_its_first_film_mood(skill):
    from skills.video.moods import FILM_MOODS

    # The frame joins the mood the classifier heard with the one a skill's words say.
    joined = skill.handle(request(UserProfile("new", "video"), slots={"mood": "energetic|happy"}, k=3))
    single = skill.handle(request(UserProfile("new", "video"), slots={"mood": "energetic"}, k=3))
    assert [i.id for i in joined.items] == [i.id for i in single.items]
    assert FILM_MOODS["energetic"].said in joined.items[0].reason
