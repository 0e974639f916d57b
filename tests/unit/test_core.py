"""The core with fake stages and skills: the real pipeline, dialogue manager, NLG, plugin
registry and SQLite history store, and no built model artifacts (the fast tier)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings, load_settings
from assistant.pipeline.runner import Pipeline
from assistant.skill_sdk.api import Answers, SkillSpec
from assistant.skill_sdk.plugins import SkillRegistry, discover_specs
from tests.support.fakes import SPEC as TEA
from tests.support.fakes import KeywordNLU, ScriptedSpeech, TeaSkill, fake_skills

pytestmark = pytest.mark.timeout(60)
WALL = 1_795_000_000.0  # a fixed wall clock (2026-11-18): nothing here depends on today


def chat(pipeline: Pipeline, *lines: str, user: str = "dana", seed: int = 7):
    session = pipeline.start_session(user, seed=seed)
    results = [pipeline.run_turn(session, text=line, wall_time=WALL + i) for i, line in enumerate(lines)]
    return session, results


def events_of(result, kind: str) -> list[dict]:
    return [e.to_dict() for e in result.events if e.type == kind]


def test_offer_speaks_the_skills_template_and_records_the_turn(fake_pipeline):
    session, (r,) = chat(fake_pipeline, "suggest a tea")
    assert [i.id for i in r.items] == ["tea:sencha"]
    assert "Sencha from Japan" in r.response  # the skill's "item" template
    assert r.response.rstrip().endswith(("Want another?", "Shall I find another?", "Want something else?"))
    assert "A green tea." in r.response  # the reason follows the offer
    rows = fake_pipeline.store.turns(session_id=session.id)
    assert [row["act"] for row in rows] == ["recommend"] and rows[0]["domain"] == "tea"
    assert [o["item_id"] for o in fake_pipeline.store.offers("dana")] == ["tea:sencha"]


def test_fresh_slot_starts_a_new_request_and_offers_never_repeat(fake_pipeline):
    _, results = chat(fake_pipeline, "black tea", "another", "another", "another")
    ids = [r.items[0].id if r.items else None for r in results]
    assert ids[:2] == ["tea:assam", "tea:darjeeling"]  # the kind carried over to "another"
    assert ids[2] is None and "run out" in results[2].response
    assert len({i for i in ids if i}) == len([i for i in ids if i])


def test_skip_is_recorded_against_the_item_offered(fake_pipeline):
    _, results = chat(fake_pipeline, "green tea", "skip")
    assert results[1].items[0].id == "tea:gyokuro"
    feedback = fake_pipeline.store.feedback("dana")
    assert [(f["item_id"], f["kind"]) for f in feedback] == [("tea:sencha", "skip")]


def test_dislike_names_the_item_and_offers_another(fake_pipeline):
    _, results = chat(fake_pipeline, "suggest a tea", "not this one")
    assert results[1].response.startswith(("Okay, I won't offer Sencha again.", "Got it, not Sencha."))
    assert results[1].items and results[1].items[0].id != "tea:sencha"


def test_like_a_named_item_and_an_unknown_name(fake_pipeline):
    _, results = chat(fake_pipeline, "i love rooibos tea", "i love lapsang tea")
    assert "Rooibos" in results[0].response
    assert results[1].response == "I don't know a tea called lapsang."  # the skill's own sentence
    assert [(f["item_id"], f["kind"]) for f in fake_pipeline.store.feedback("dana")] == [
        ("tea:rooibos", "like")
    ]


def test_likes_change_the_next_offer(fake_pipeline):
    chat(fake_pipeline, "i love rooibos tea")
    _, (r,) = chat(fake_pipeline, "suggest a tea")
    assert r.items[0].reason == "a herbal tea"


def test_explain_and_repeat(fake_pipeline):
    _, results = chat(fake_pipeline, "suggest a tea", "why", "repeat")
    assert results[1].response in (
        "I picked Sencha because it's a green tea.",
        "Sencha: I chose it because it's a green tea.",
    )
    assert results[2].response == results[1].response


def test_nothing_to_explain_skip_or_like_yet(fake_pipeline):
    _, results = chat(fake_pipeline, "why", "skip", "i like it")
    assert "nothing to explain" in results[0].response
    assert results[1].response == "There's nothing to skip yet. Try 'suggest a tea' or 'break something'."
    assert "try 'suggest a tea'" in results[2].response


def test_unsure_request_is_confirmed_then_answered_as_asked(fake_pipeline):
    _, results = chat(fake_pipeline, "maybe some tea", "yes")
    assert results[0].response == "Did you want a tea? Say yes or no."
    assert events_of(results[0], "dialogue-end")[0]["act"] == "confirm"
    assert results[1].items and events_of(results[1], "dialogue-end")[0]["act"] == "recommend"


def test_yes_to_want_another_offers_more(fake_pipeline):
    _, results = chat(fake_pipeline, "suggest a tea", "yes")
    assert events_of(results[1], "dialogue-end")[0]["act"] == "more"
    assert results[1].items[0].id != results[0].items[0].id


def test_a_skill_question_is_answered_in_the_skills_words(fake_pipeline):
    _, results = chat(fake_pipeline, "what tea is this", "suggest a tea", "what tea is this")
    assert results[0].response == "I haven't poured anything yet."
    assert results[2].response == "That's Sencha from Japan."
    end = events_of(results[2], "dialogue-end")[0]
    assert (end["act"], end["domain"], end["intent"]) == ("tea_query", "tea", "tea_query")


def test_json_reports_what_was_acted_on_beside_the_classifier_label(fake_pipeline):
    _, results = chat(fake_pipeline, "suggest a tea", "more like this")
    summary = results[1].summary()
    assert summary["nlu_intent"] == "like" and summary["intent"] == "recommend_tea"
    assert summary["elapsed_ms"] > 0 and isinstance(summary["elapsed_ms"], float)
    assert json.loads(json.dumps(summary))["items"][0]["domain"] == "tea"


def test_out_of_scope_and_empty_input_name_what_the_skills_can_do(fake_pipeline):
    _, results = chat(fake_pipeline, "what is the capital of peru", "   ")
    assert results[0].response == (
        "I can't help with that. I can suggest a tea or break things. For example, say 'suggest a tea'."
    )
    assert results[1].response == "I didn't catch anything. Try saying 'suggest a tea'."


def test_a_greeting_is_greeted_back_with_what_the_skills_can_do(fake_pipeline):
    """ "Hi" was answered "I can't help with that": what people say first, greeted back now."""
    _, results = chat(fake_pipeline, "hi", "Hello there!", "good morning", "hi what is the capital of peru")
    hello = "Hello! I can suggest a tea or break things. For example, say 'suggest a tea'."
    assert [r.response for r in results[:3]] == [hello] * 3
    assert results[3].response.startswith("I can't help with that.")  # a greeting, then something else
    assert all(not r.items for r in results)


def test_what_can_you_do_is_answered_with_what_the_skills_do(fake_pipeline):
    """ "What can you do?" and "help" were answered "I can't help with that"."""
    _, results = chat(fake_pipeline, "what can you do?", "help", "what can I ask you", "help me break things")
    abilities = (
        "I can suggest a tea or break things. For example, say 'suggest a tea'. After a suggestion, "
        "say 'another one', 'I like it' or 'why?', and I'll remember what you like."
    )
    assert [r.response for r in results[:3]] == [abilities] * 3
    assert results[3].response != abilities  # a request that starts with "help me" is that request


def test_a_bug_in_a_skill_is_a_skill_error_logged_with_its_traceback(fake_pipeline, assistant_home):
    from assistant.logs import setup_logging

    log_path = setup_logging(assistant_home)
    session, (r,) = chat(fake_pipeline, "break it")
    (error,) = events_of(r, "error")
    assert error["stage"] == "skill" and "ZeroDivisionError" in error["message"]
    assert r.response == "Sorry, I could not find anything for that right now."
    logged = log_path.read_text()
    assert "Traceback" in logged and "ZeroDivisionError" in logged and "broken skill failed" in logged
    (row,) = fake_pipeline.store.turns(session_id=session.id)
    assert row["error"] == "SkillFailedError" and row["response"] == r.response


def test_a_bug_in_the_nlu_is_an_nlu_error(fake_pipeline, assistant_home):
    class Exploding:
        def parse(self, text):
            raise RuntimeError("tokenizer broke")

    fake_pipeline.nlu = Exploding()
    _, (r,) = chat(fake_pipeline, "suggest a tea")
    (error,) = events_of(r, "error")
    assert error["stage"] == "nlu" and "tokenizer broke" in error["message"]
    assert r.response == "Sorry, something went wrong on my side."


def test_speech_in_and_out_through_the_stage_protocols(fake_pipeline):
    fake_pipeline.stt = ScriptedSpeech(["suggest a tea"])
    session = fake_pipeline.start_session("dana", seed=1)
    tone = np.sin(np.linspace(0, 400, 16000)).astype(np.float32)
    r = fake_pipeline.run_turn(session, audio=tone, speak=True, wall_time=WALL)
    assert r.text == "suggest a tea" and r.items
    assert r.speech is not None and len(r.speech.samples) > 0
    # One start and one end per stage, in the order the data flows.
    assert [e.type for e in r.events] == [
        "turn-start",
        "stt-start",
        "stt-end",
        "nlu-start",
        "nlu-end",
        "dialogue-start",
        "dialogue-end",
        "skill-end",
        "response",
        "tts-start",
        "tts-end",
        "turn-end",
    ]
    silent = fake_pipeline.run_turn(session, audio=np.zeros(16000, np.float32), wall_time=WALL + 1)
    assert events_of(silent, "error")[0]["stage"] == "stt"
    assert silent.response == "Sorry, I did not catch that."


def test_a_doubtful_transcript_is_asked_again_and_nothing_is_acted_on(fake_pipeline):
    # "maybe tea" parses at 0.3; heard at -0.9 per token it is asked again, not confirmed or acted
    # on. The same words heard clearly go to the dialogue (which confirms an unsure request), and
    # a doubtful transcript the classifier is sure of is acted on.
    fake_pipeline.stt = ScriptedSpeech([("maybe tea.", -0.9), "maybe tea", ("suggest a tea", -0.9)])
    session = fake_pipeline.start_session("dana", seed=1)
    tone = np.sin(np.linspace(0, 400, 16000)).astype(np.float32)
    doubtful = fake_pipeline.run_turn(session, audio=tone, wall_time=WALL)
    assert doubtful.response in (
        "Sorry, I'm not sure I heard that right. I got 'maybe tea'. Could you say it again?",
        "I didn't quite catch that: was it 'maybe tea'? Please say it again.",
    )
    assert doubtful.expects_reply and not doubtful.items
    assert [e["act"] for e in events_of(doubtful, "dialogue-end")] == ["misheard"]
    assert not events_of(doubtful, "skill-end")
    clear = fake_pipeline.run_turn(session, audio=tone, wall_time=WALL + 1)
    assert events_of(clear, "dialogue-end")[0]["act"] == "confirm"
    sure = fake_pipeline.run_turn(session, audio=tone, wall_time=WALL + 2)
    assert sure.items and events_of(sure, "dialogue-end")[0]["act"] == "recommend"
    rows = fake_pipeline.store.turns(session_id=session.id)
    assert [row["act"] for row in rows] == ["misheard", "confirm", "recommend"]
    # Typed text is never asked again: there is no transcript to doubt.
    typed = fake_pipeline.run_turn(session, text="maybe tea", wall_time=WALL + 3)
    assert events_of(typed, "dialogue-end")[0]["act"] != "misheard"


def test_profile_and_history_answers_use_the_skills_words(fake_pipeline):
    _, results = chat(fake_pipeline, "what do you know about me", "suggest a tea", "what did i drink today")
    assert results[0].response == "I don't know anything about you yet, dana. Ask me for tea or broken."
    assert "1 tea suggestion" not in results[2].response
    assert results[2].response.startswith("Today I offered you 1 teas, most recently: Sencha")


def test_user_switch_but_not_on_a_skill_name(fake_pipeline):
    session, results = chat(fake_pipeline, "this is tea", "this is alice")
    assert events_of(results[0], "dialogue-end")[0]["act"] != "switch_user"
    assert events_of(results[1], "dialogue-end")[0]["act"] == "switch_user"
    assert session.user == "alice"


def test_forget_me_deletes_the_history(fake_pipeline):
    session, results = chat(fake_pipeline, "suggest a tea", "forget me", "yes")
    assert "delete everything" in results[1].response
    assert results[2].response.startswith("Done.")
    assert fake_pipeline.store.offers("dana") == []


def test_forgetting_takes_a_clear_yes_not_just_an_affirm_reading(tmp_path):
    from assistant.app import open_store
    from tests.support.fakes import RULES

    # A classifier that reads a string of control characters as "affirm", as the real one once
    # did under the fuzzer: the history must survive it.
    nlu = KeywordNLU([(r"^\x15", "affirm", 0.9), *RULES])
    p = Pipeline(nlu, open_store(tmp_path), tmp_path, fake_skills(), Settings())
    session, results = chat(p, "suggest a tea", "forget me", "\x15\x06\u00d0\u00dd!")
    assert results[2].response and not results[2].response.startswith("Done.")
    assert [o["item_id"] for o in p.store.offers("dana")] == ["tea:sencha"]
    assert p.store.turn(session.id, session.turns) is not None
    p.store.close()


def test_same_seed_same_conversation(tmp_path):
    from assistant.app import open_store

    def run(home: Path) -> list[str]:
        home.mkdir()
        p = Pipeline(KeywordNLU(), open_store(home), home, fake_skills(), Settings())
        _, results = chat(p, "suggest a tea", "skip", "why", "thanks", seed=42)
        p.store.close()
        return [r.response for r in results]

    assert run(tmp_path / "a") == run(tmp_path / "b")


def test_ending_a_session_twice_is_harmless(fake_pipeline):
    session, _ = chat(fake_pipeline, "suggest a tea")
    from assistant.pipeline.session_log import sessions_dir

    log_path = sessions_dir(fake_pipeline.data_dir, "dana") / f"{session.id}.jsonl"
    fake_pipeline.end_session(session)
    fake_pipeline.end_session(session)
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert [e["type"] for e in lines].count("session-end") == 1


def test_registry_routes_intents_to_the_declaring_skill():
    registry = fake_skills()
    assert registry.owner("tea_query") is TEA and registry.offer_owner("tea_query") is None
    assert registry.offer_owner("recommend_tea") is TEA and registry.owner("skip") is None
    assert registry.default is TEA and registry.names() == ["tea", "broken"]


def test_each_skill_gets_only_its_own_settings_section():
    registry = SkillRegistry([TEA], {"tea": {"strength": "strong"}, "other": {"secret": 1}})
    skill = registry.skill("tea")
    assert isinstance(skill, TeaSkill) and skill.settings == {"strength": "strong"}


def test_installed_skills_are_found_through_entry_points():
    specs = discover_specs()
    names = [s.name for s in specs]
    assert names[:4] == ["music", "news", "weather", "video"]
    for spec in specs:
        assert (
            spec.answers.offer_intent in spec.answers.all_intents
            and spec.phrasing.examples
            and spec.phrasing.description
        )
        assert spec.answers.fresh_slots <= spec.answers.slots


def test_skill_sections_in_config_and_the_older_top_level_tables(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '[weather]\nlive = true\nforecast_url = "http://old"\n[skills.weather]\nforecast_url = "http://new"\n'
        '[skills.dice]\nsides = 20\n[stt]\nmodel = "base"\n'
    )
    # a plugin that declares no settings model gets its section as written
    dice = SkillSpec(name="dice", load=lambda section: None, answers=Answers(offer_intent="roll_dice"))
    settings = load_settings(config, specs=[*discover_specs(), dice])
    assert settings.skill_settings("weather") == {"live": True, "forecast_url": "http://new"}
    assert settings.skill_settings("dice") == {"sides": 20}
    assert "stt" not in settings.skills and settings.stt_model == "base"
    assert settings.warnings == []


def test_replay_uses_default_settings_and_the_recorded_speech_model(assistant_home, monkeypatch, tmp_path):
    """A replay never reads this machine's config.toml (which could switch on the network)."""
    import assistant.cli as cli
    import assistant.cli_commands
    from assistant.contracts.events import SessionStart

    assistant_home.mkdir(parents=True, exist_ok=True)
    (assistant_home / "config.toml").write_text('[weather]\nlive = true\n[stt]\nmodel = "tiny.en"\n')
    log = tmp_path / "session.jsonl"
    start = SessionStart(session_id="s", user="dana", seed=1, settings={"stt_model": "base"})
    log.write_text(start.to_json() + "\n")
    built: list[Settings] = []

    def fake_build(home, settings, **kwargs):
        built.append(settings)
        raise SystemExit(0)  # stop once the pipeline would be built

    monkeypatch.setattr(assistant.cli_commands, "build", fake_build)
    with pytest.raises(SystemExit):
        cli.main(["--replay", str(log)])
    assert built and built[0].skills == {} and built[0].stt_model == "base"


def test_sessions_started_in_the_same_second_get_different_ids(fake_pipeline):
    sessions = [fake_pipeline.start_session("dana", seed=n) for n in range(200)]  # well within a second
    ids = [s.id for s in sessions]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"\d{8}-\d{6}-\d{5}-\d{5}", i) for i in ids)  # the logs' file names
    for session in sessions:
        fake_pipeline.end_session(session)


@pytest.mark.parametrize(
    ("words", "feeling"),
    [
        ("I'm feeling a bit down today", ("happy", True)),
        ("i feel sad.", ("happy", True)),
        ("I am so tired right now", ("calm", True)),
        ("I'm bored", ("energetic", False)),
        ("I feel like jazz", None),  # a request, read as one
        ("I feel sad about the news", None),
        ("I'm hungry", None),
    ],
)
def test_a_feeling_told_alone_is_read_as_the_mood_to_offer(words: str, feeling) -> None:
    from assistant.dialogue.phrases import told_feeling

    assert told_feeling(words.lower()) == feeling
