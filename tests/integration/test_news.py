"""The news skill on the real HuffPost headlines and MiniLM index, through its public interface."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.skill_sdk.api import FeedbackEvent, SkillRequest, SkillResult, UserProfile


@pytest.fixture(scope="module")
def skill():
    from skills.news import build, load_skill

    build.build()  # instant when the artifact is current
    return load_skill()


@pytest.fixture(scope="module")
def headlines(skill):
    return skill.recommender.index.headlines


def ask(skill, slots=None, feedback=(), offered=(), k=5, exclude=()) -> SkillResult:
    profile = UserProfile(
        "ada",
        "news",
        offered=[FeedbackEvent(i, "offer", n) for n, i in enumerate(offered)],
        feedback=list(feedback),
    )
    return skill.handle(SkillRequest("news_query", dict(slots or {}), profile, k=k, exclude=set(exclude)))


def of_category(headlines, category: str, n: int):
    return [h for h in headlines if h.category == category][:n]


def days_before_newest(skill, date: str) -> int:
    newest = dt.date.fromisoformat(skill.recommender.index.newest_date)
    return (newest - dt.date.fromisoformat(date)).days


@pytest.mark.artifacts
def test_skill_contract(skill, headlines):
    from assistant.skill_sdk.api import Skill

    assert isinstance(skill, Skill)
    assert skill.name == "news" and skill.intents == frozenset({"news_query"})
    assert len(headlines) == 13357 and all(h.id.startswith("hp:") for h in headlines)
    assert skill.recommender.index.newest_date == "2022-09-23"


@pytest.mark.artifacts
def test_new_user_gets_latest_headlines_across_categories(skill):
    result = ask(skill, k=5)
    assert len(result.items) == 5
    assert len({it.meta["category"] for it in result.items}) == 5
    assert all(days_before_newest(skill, it.meta["date"]) <= 14 for it in result.items)
    assert all(it.reason.startswith(f"latest in {it.meta['topic']}") for it in result.items)


@pytest.mark.artifacts
def test_topic_search_is_on_topic(skill):
    result = ask(skill, {"topic": "climate"}, k=5)
    assert (
        result.text
        == "These are from the HuffPost archive (2018 to 2022), not today's news: no news feeds are set up."
    )
    on_topic = [it for it in result.items if "climate" in (it.title + it.meta["description"]).lower()]
    assert len(on_topic) >= 4
    assert all(it.reason.startswith("matches 'climate'") for it in result.items)


@pytest.mark.artifacts
def test_topic_naming_a_category_reads_that_desk(skill):
    result = ask(skill, {"topic": "technology"}, k=4)
    assert all(it.meta["category"] == "TECH" for it in result.items)
    assert all(it.reason.startswith("latest in technology, as you asked") for it in result.items)
    sports = ask(skill, {"topic": "sport"}, k=3)
    assert all(it.meta["category"] == "SPORTS" for it in sports.items)


@pytest.mark.artifacts
def test_unknown_topic_is_honest(skill):
    result = ask(skill, {"topic": "quantum chromodynamics"}, k=3)
    assert result.text.endswith(
        "I found little about quantum chromodynamics; here are the closest headlines I have."
    )
    assert all(it.reason.startswith("the closest I have") for it in result.items)


@pytest.mark.artifacts
def test_likes_raise_a_topic_and_the_reason_says_so(skill, headlines):
    liked = of_category(headlines, "TECH", 4)
    result = ask(skill, feedback=[FeedbackEvent(h.id, "like", n) for n, h in enumerate(liked)], k=5)
    first = result.items[0]
    assert first.meta["category"] == "TECH"
    assert first.reason == "you often read about technology"
    assert not {it.id for it in result.items} & {h.id for h in liked}


@pytest.mark.artifacts
def test_skips_lower_a_topic_less_than_dislikes(skill, headlines):
    from skills.news.recommender import topic_taste

    index = skill.recommender.index
    politics = of_category(headlines, "POLITICS", 4)
    code = index.categories.index("POLITICS")
    affinity = {}
    for kind in ("skip", "dislike"):
        profile = UserProfile(
            "ada", "news", feedback=[FeedbackEvent(h.id, kind, n) for n, h in enumerate(politics)]
        )
        affinity[kind] = float(topic_taste(index, profile).affinity[code])
    assert affinity["dislike"] < affinity["skip"] < 0

    # New users see politics among the top ten; after skipping it, it drops out of the top ten.
    assert "POLITICS" in {it.meta["category"] for it in ask(skill, k=10).items}
    skipped = ask(skill, feedback=[FeedbackEvent(h.id, "skip", n) for n, h in enumerate(politics)], k=10)
    assert "POLITICS" not in {it.meta["category"] for it in skipped.items[:5]}
    assert any("you often skip politics" in it.reason for it in skipped.items)


@pytest.mark.artifacts
def test_never_repeats_offered_or_excluded(skill):
    first = ask(skill, k=6)
    ids = [it.id for it in first.items]
    again = ask(skill, k=6, offered=ids[:3], exclude=ids[3:])
    assert not {it.id for it in again.items} & set(ids)


def test_vocabulary():
    from skills.news import vocabulary

    topics = set(vocabulary()["topic"])
    assert {"politics", "technology", "world news", "us news", "sports", "environment"} <= topics


def test_missing_artifact_is_reported(tmp_path, monkeypatch):
    from assistant.artifacts import ArtifactMissingError
    from skills.news import load_skill

    monkeypatch.setenv("ASSISTANT_ARTIFACTS", str(tmp_path))
    with pytest.raises(ArtifactMissingError, match="news"):
        load_skill()


@pytest.mark.artifacts
def test_good_news_is_asked_for_in_a_joined_mood_too(skill):
    # "calm|happy": the frame's join of what the classifier heard and what the words say.
    joined = ask(skill, {"mood": "calm|happy"}, k=3)
    happy = ask(skill, {"mood": "happy"}, k=3)
    assert [i.id for i in joined.items] == [i.id for i in happy.items]
    assert all(item.reason.startswith("good news") for item in joined.items)
