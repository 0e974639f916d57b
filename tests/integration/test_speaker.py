"""Who is speaking: voiceprints in the history store, Resemblyzer identification of espeak-ng
voices, and enrolment by voice through the virtual microphone."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from assistant.storage.history import SCHEMA_VERSION, HistoryStore
from assistant.voice.synth import espeak
from testkit.audio_stack import VirtualAudio, espeak_wav, missing_tools

ALICE, BOB = "en+f2", "en-us+m3"  # distinct voices on the bench's scale (similarity < 0.8)
ENROL = (
    "the quick brown fox jumps over the lazy dog",
    "please wake me up a little earlier tomorrow morning",
    "my favourite colour is the blue of a summer sky",
)


# --- the store (no model needed) ---------------------------------------------------------
def test_voiceprints_are_stored_listed_forgotten_and_never_exported(tmp_path):
    from assistant.dialogue.profile_answers import describe_profile

    store = HistoryStore(tmp_path / "history.db")
    vector = np.arange(256, dtype=np.float32)
    store.save_voiceprint("alice", vector.tobytes(), 3, "resemblyzer-0.1.4")
    store.save_voiceprint("bob", vector.tobytes(), 3, "resemblyzer-0.1.4")
    assert set(store.voiceprints("resemblyzer-0.1.4")) == {"alice", "bob"}
    assert store.voiceprints("another-model") == {}
    assert np.array_equal(np.frombuffer(store.voiceprints("resemblyzer-0.1.4")["alice"], np.float32), vector)
    assert "voice" in describe_profile(store, "alice", [])
    assert "voiceprint" not in str(store.export_user("alice")).lower()
    assert "embedding" not in store.export_user("alice")
    counts = store.forget_user("alice")
    assert counts["voiceprints"] == 1
    assert not store.has_voiceprint("alice") and store.has_voiceprint("bob")  # only hers went
    store.close()


def test_schema_1_file_gains_the_voiceprint_table_and_later_steps(tmp_path):
    store = HistoryStore(tmp_path / "h.db")
    store.db.execute("DROP TABLE voiceprints")
    store.db.execute("PRAGMA user_version = 1")
    store.close()
    store = HistoryStore(tmp_path / "h.db")
    assert store.schema_version == SCHEMA_VERSION and not store.has_voiceprint("alice")
    store.close()


def test_voiceprints_of_another_embedding_are_left_out_and_replaced_on_enrolment(tmp_path):
    from assistant.voice.speaker_id import EMBEDDING_DIM, MODEL, TIMBRE_DIM, load_speaker_id

    store = HistoryStore(tmp_path / "history.db")
    old = np.full(EMBEDDING_DIM, 1 / 16, np.float32)
    store.save_voiceprint("alice", old.tobytes(), 3, "resemblyzer-0.1.4")  # the padded embedding
    current = np.concatenate([old, np.zeros(TIMBRE_DIM, np.float32)])  # d-vector, then timbre
    store.save_voiceprint("bob", current.tobytes(), 3, MODEL)
    store.save_voiceprint("carol", old.tobytes(), 3, MODEL)  # damaged: no timbre
    sid = load_speaker_id(store)
    assert sid.names == ["bob"]  # Carol's damaged print is skipped (logged), not a crash
    store.save_voiceprint("carol", current.tobytes(), 3, MODEL)
    sid = load_speaker_id(store)
    assert sid.names == ["bob", "carol"]  # Alice's old print is not matched against (the loop re-enrols her)
    assert store.has_voiceprint("alice")  # ... still listed and removed by "forget me"
    store.save_voiceprint("alice", current.tobytes(), 3, MODEL)  # what a new enrolment does
    sid.reload()
    assert sid.names == ["alice", "bob", "carol"] and len(store.voiceprints("resemblyzer-0.1.4")) == 0
    store.close()


# --- the encoder -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def enrolled():
    from assistant.voice.speaker_id import load_speaker_id

    sid = load_speaker_id()
    sid.enroll("alice", [espeak(t, ALICE, 160) for t in ENROL])
    sid.enroll("bob", [espeak(t, BOB, 160) for t in ENROL])
    return sid


@pytest.mark.artifacts
def test_enrolled_voices_are_told_apart(enrolled):
    for voice, name in ((ALICE, "alice"), (BOB, "bob")):
        for rate in (140, 180):
            got, score = enrolled.identify(espeak("play some jazz for me please", voice, rate))
            assert got == name, (voice, rate, score)


@pytest.mark.artifacts
def test_a_command_shorter_than_one_encoder_window_is_identified(enrolled):
    from assistant.contracts.stages import SAMPLE_RATE

    short = espeak("turn it up a bit", ALICE, 175, pad_s=0.1)
    assert len(short) < 1.6 * SAMPLE_RATE  # one window of its real length, no zero padding
    embedding = enrolled.embed(short)
    assert np.all(np.isfinite(embedding)) and abs(float(np.linalg.norm(embedding)) - 1) < 1e-5
    assert enrolled.identify(short)[0] == "alice"


@pytest.mark.artifacts
def test_unknown_and_unusable_voices_get_no_name(enrolled):
    from assistant.voice.wavfile import read_wav
    from evaluation.speech import load_testset

    human = read_wav(next(u.wav for u in load_testset() if "librivox" in str(u.wav)))
    assert enrolled.identify(human)[0] is None  # a real person nobody enrolled
    match = enrolled.match(np.zeros(16000 * 2, np.float32))
    assert match.name is None and not match.heard  # silence: nobody, and not "a stranger"
    assert not enrolled.match(espeak("stop", ALICE, 160)).heard  # too short to tell
    two = espeak("tell me the news", ALICE, 160)
    both = two + np.resize(espeak("play some music now", BOB, 160), len(two))
    assert enrolled.identify(np.clip(both, -1, 1))[0] in (None, "alice", "bob")  # no crash, no third


@pytest.mark.artifacts
def test_a_voice_alike_to_the_d_vector_is_told_apart_by_its_timbre(enrolled):
    from assistant.voice.speaker_id import MARGIN, MAX_TIMBRE_DISTANCE, THRESHOLD

    # espeak-ng's f5 is f2 (Alice) with a breathier voice: the d-vector alone takes it for her.
    phrases = (
        "play some jazz for me please",
        "what is the weather going to be like tomorrow",
        "tell me the latest news about science",
        "recommend a funny movie for tonight",
        "I really like this song, play another one",
    )
    matches = [enrolled.match(espeak(p, "en-gb-scotland+f5", rate)) for p in phrases for rate in (140, 175)]
    by_d_vector = [m for m in matches if m.score >= THRESHOLD and m.score - m.runner_up >= MARGIN]
    assert by_d_vector and all(m.name in (None, "alice") for m in matches)
    assert sum(m.name == "alice" for m in matches) < len(by_d_vector)  # the timbre turns some away
    assert all(m.timbre_distance > MAX_TIMBRE_DISTANCE for m in by_d_vector if m.name is None)
    own = enrolled.match(espeak("play some jazz for me please", ALICE, 175))
    assert own.name == "alice" and own.timbre_distance <= MAX_TIMBRE_DISTANCE


@pytest.mark.artifacts
def test_two_alike_voices_in_one_household_are_told_apart_by_timbre_or_left_unknown():
    from assistant.voice.speaker_id import MARGIN, load_speaker_id

    pair = ("en-us+grandpa", "en-us+max")  # 0.94 apart to the d-vector, as alike as bob and frank
    sid = load_speaker_id()
    for voice in pair:
        sid.enroll(voice, [espeak(t, voice, 160) for t in ENROL])
    matches = [
        (voice, sid.match(espeak(phrase, voice, rate)))
        for voice in pair
        for phrase in ("play some jazz for me please", "recommend a funny movie for tonight")
        for rate in (140, 190)
    ]
    assert all(m.name in (None, voice) for voice, m in matches)  # never the other person
    assert any(m.name == voice and m.score - m.runner_up < MARGIN for voice, m in matches)  # the timbre told


@pytest.mark.artifacts
def test_bad_enrolments_are_refused(tmp_path):
    from assistant.voice.speaker_id import EnrolmentError, load_speaker_id

    store = HistoryStore(tmp_path / "history.db")
    sid = load_speaker_id(store)
    with pytest.raises(EnrolmentError, match="needs 3"):
        sid.enroll("carol", [espeak(ENROL[0], ALICE, 160)])
    with pytest.raises(EnrolmentError, match="phrase 2"):
        sid.enroll("carol", [espeak(ENROL[0], ALICE, 160), espeak("hi", ALICE, 160), espeak(ENROL[2], ALICE)])
    noise = np.random.default_rng(0).normal(0, 0.2, 16000 * 3).astype(np.float32)
    with pytest.raises(EnrolmentError):
        sid.enroll("carol", [noise, noise, noise])
    assert sid.names == [] and not store.has_voiceprint("carol")
    store.close()


@pytest.mark.artifacts
@pytest.mark.audio
@pytest.mark.timeout(240)
@pytest.mark.skipif(bool(missing_tools()), reason=f"needs {', '.join(missing_tools())}")
def test_enrolment_by_voice_then_identification_through_the_virtual_microphone(tmp_path):
    from assistant.frontends.enrol import enrol_by_voice
    from assistant.voice import audio
    from assistant.voice.speaker_id import load_speaker_id
    from assistant.voice.vad import EndpointConfig

    store = HistoryStore(tmp_path / "history.db")
    sid = load_speaker_id(store)
    prompts: list[str] = []
    try:
        with VirtualAudio() as sound:
            audio.refresh_devices()
            answers = iter([espeak_wav(t, sound.root / f"p{i}.wav", 160) for i, t in enumerate(ENROL)])

            def say(text: str) -> None:  # the person repeats each phrase the assistant asks for
                prompts.append(text)
                if text.startswith(("First", "Next")):
                    threading.Timer(0.3, sound.say_into_mic, args=(next(answers),)).start()

            with audio.Microphone() as mic:
                assert enrol_by_voice("alice", mic, say, sid, out=lambda *_: None)
                request = espeak_wav("recommend a funny film", sound.root / "req.wav", 170)
                mic.drain()
                sound.say_into_mic(request, lead_silence_s=0.3)
                utterance = mic.listen(EndpointConfig(start_timeout_s=8.0))
    finally:
        audio.refresh_devices()
    assert prompts[-1].startswith("Thanks, Alice")
    assert store.has_voiceprint("alice")
    assert utterance is not None
    # The default espeak-ng voice is someone else; Alice was enrolled with it here, so it matches.
    assert sid.identify(utterance.audio)[0] == "alice"
    store.close()


@pytest.mark.artifacts
def test_voice_loop_switches_to_the_speaker_and_never_to_someone_else(fake_pipeline):
    from assistant.frontends.voice_loop import VoiceLoop
    from assistant.pipeline.runner import GUEST_USER
    from assistant.voice.audio import Utterance
    from assistant.voice.speaker_id import load_speaker_id
    from assistant.voice.wavfile import read_wav
    from evaluation.speech import load_testset

    sid = load_speaker_id(fake_pipeline.store)
    sid.enroll("alice", [espeak(t, ALICE, 160) for t in ENROL])
    sid.enroll("bob", [espeak(t, BOB, 160) for t in ENROL])
    session = fake_pipeline.start_session("default", mode="voice", seed=1)
    loop = VoiceLoop(
        fake_pipeline, session, None, None, fake_pipeline.data_dir, out=lambda *_: None, speaker_id=sid
    )

    def said(audio):
        loop.identify(Utterance(audio, "silence", 0.0, 0.0, len(audio)))
        return session.user

    assert said(espeak("play some jazz for me please", ALICE, 170)) == "alice"
    assert said(espeak("stop", BOB, 160)) == "alice"  # too short to tell: nobody is switched
    assert said(espeak("recommend a funny movie for tonight", BOB, 150)) == "bob"
    human = read_wav(next(u.wav for u in load_testset() if "librivox" in str(u.wav)))
    assert said(human) == GUEST_USER  # an unknown voice never keeps Bob's profile
    fake_pipeline.forget("alice")  # "forget me" deletes the stored voiceprint ...
    loop.session.user = "alice"
    loop._after_turn("alice")
    assert sid.names == ["bob"]  # ... and the loop stops recognising her
    fake_pipeline.end_session(session)
