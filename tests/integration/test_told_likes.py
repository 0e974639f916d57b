"""Films a person told us they loved steer the next offers (skills/video/told_likes.py), on the built model."""

from __future__ import annotations

import random

import numpy as np
import pytest

from assistant.skill_sdk.api import FeedbackEvent, SkillRequest, UserProfile

pytestmark = [pytest.mark.artifacts, pytest.mark.timeout(60)]

# Toy Story, Finding Nemo, Monsters, Inc.: three family animations.
LOVED = {1: "Toy Story", 6377: "Finding Nemo", 4886: "Monsters, Inc."}


@pytest.fixture(scope="module")
def skill():
    from skills.video import load_skill

    return load_skill()


def profile(liked: list[int]) -> UserProfile:
    feedback = [FeedbackEvent(str(m), "like", 1_700_000_000.0 + i) for i, m in enumerate(liked)]
    return UserProfile("fan", "video", feedback=feedback)


def top3(skill, liked: list[int]):
    request = SkillRequest("recommend_video", {}, profile(liked), k=3, rng=random.Random(0))
    return skill.handle(request).items


def closeness(skill, items) -> float:
    """Mean similarity (the model's own similar_to) of the offered films to the loved ones."""
    rows = np.stack([skill.rec.similar_to(m) for m in LOVED])
    return float(np.mean([rows[:, int(skill.rec.index[int(i.id)])].mean() for i in items]))


def test_told_likes_bring_the_offers_closer_to_them(skill, monkeypatch):
    from skills.video import told_likes

    told = top3(skill, list(LOVED))
    assert len(told) == 3 and not {i.id for i in told} & {str(m) for m in LOVED}
    nothing = top3(skill, [])
    monkeypatch.setattr(told_likes, "TOLD_WEIGHT", 0.0)
    blend_only = top3(skill, list(LOVED))
    assert closeness(skill, told) > closeness(skill, nothing)
    assert closeness(skill, told) >= closeness(skill, blend_only)
    # Each offer shares a genre with the loved films (all three: Animation, Family, Comedy).
    assert all({"Animation", "Family"} & set(i.meta["genres"]) for i in told), [i.title for i in told]
    # The reason says which films it came from.
    assert any(name in i.reason for i in told for name in LOVED.values()), [i.reason for i in told]


def test_signal_only_for_a_few_liked_films(skill):
    from skills.video.told_likes import MAX_TOLD, told_likes

    extra = told_likes(skill.rec, profile([1214]))
    assert extra is not None and extra[2] == "because you liked Alien"
    assert extra[0][int(skill.rec.index[1214])] == 0  # the told film itself is not offered for itself
    many = [int(m) for m in skill.rec.item_ids[: MAX_TOLD + 1]]
    assert told_likes(skill.rec, profile(many)) is None
    assert told_likes(skill.rec, profile([])) is None
    # A like taken back ("actually I didn't like Alien") no longer counts.
    undone = profile([1214, 1200])
    undone.feedback.append(FeedbackEvent("1214", "dislike", 1_700_000_100.0))
    extra = told_likes(skill.rec, undone)
    assert extra is not None and extra[2] == "because you liked Aliens"
