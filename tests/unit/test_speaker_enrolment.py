"""Enrolment that says when a voiceprint is too weak to use: the self-match rule of
``assistant.voice.speaker_id`` on made-up d-vectors, and the voice enrolment asking for more
phrases (``assistant.frontends.enrol``) with stand-ins for the microphone and the encoder."""

from __future__ import annotations

import types

import numpy as np
import pytest

from assistant.voice.speaker_id import (
    EMBEDDING_DIM,
    TIMBRE_DIM,
    WeakEnrolmentError,
    load_speaker_id,
    self_match,
)


def _voice(rng: np.random.Generator, centre: np.ndarray, spread: float, n: int) -> list[np.ndarray]:
    """``n`` unit d-vectors around ``centre``: the farther ``spread``, the less alike."""
    out = []
    for _ in range(n):
        v = centre + spread * rng.standard_normal(EMBEDDING_DIM)
        out.append((v / np.linalg.norm(v)).astype(np.float32))
    return out


def _timbres(n: int) -> list[np.ndarray]:
    return [np.zeros(TIMBRE_DIM, np.float32)] * n


@pytest.mark.timeout(30)
def test_self_match_is_each_phrase_against_the_others_voiceprint():
    a = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], np.float32)
    # the third phrase against the mean of the first two: orthogonal
    assert self_match(a) == pytest.approx(0.0)
    assert self_match(np.array([[1.0, 0.0]] * 3, np.float32)) == pytest.approx(1.0)


@pytest.mark.timeout(30)
def test_a_consistent_enrolment_is_kept_and_recognises_its_voice():
    rng = np.random.default_rng(0)
    centre = rng.standard_normal(EMBEDDING_DIM)
    sid = load_speaker_id()
    phrases = _voice(rng, centre / np.linalg.norm(centre), 0.02, 3)
    sid.enroll_voices("alice", phrases, _timbres(3))
    assert sid.names == ["alice"]
    heard = _voice(rng, centre / np.linalg.norm(centre), 0.02, 1)[0]
    assert sid.decide(heard, np.zeros(TIMBRE_DIM, np.float32)).name == "alice"


@pytest.mark.timeout(30)
def test_an_enrolment_that_would_not_recognise_its_own_phrases_is_refused_as_weak():
    rng = np.random.default_rng(1)
    centre = rng.standard_normal(EMBEDDING_DIM)
    centre /= np.linalg.norm(centre)
    other = rng.standard_normal(EMBEDDING_DIM)
    other /= np.linalg.norm(other)
    # two phrases of the voice and one half another sound (a door, a second person): each
    # phrase alone still looks like speech, but the third does not match the other two
    phrases = _voice(rng, centre, 0.02, 2) + _voice(rng, 0.75 * centre + 0.66 * other, 0.02, 1)
    sid = load_speaker_id()
    with pytest.raises(WeakEnrolmentError) as refused:
        sid.enroll_voices("bob", phrases, _timbres(3))
    assert refused.value.self_match < sid.min_self_match
    assert "recognise you" in refused.value.user_message
    assert sid.names == []  # nothing kept
    # with more phrases of the voice the odd one is left out
    sid.enroll_voices("bob", phrases + _voice(rng, centre, 0.02, 4), _timbres(7))
    assert sid.names == ["bob"]


class _Microphone:
    def __init__(self) -> None:
        self.heard = 0

    def drain(self) -> None:
        pass

    def listen(self, config):
        self.heard += 1
        return types.SimpleNamespace(audio=np.zeros(16000 * 2, np.float32))


class _Identifier:
    """Weak until it has ``enough`` phrases."""

    def __init__(self, enough: int) -> None:
        self.enough, self.tries = enough, []

    def enroll(self, name, clips):
        self.tries.append(len(clips))
        if len(clips) < self.enough:
            raise WeakEnrolmentError("weak", 0.7, user_message="I couldn't learn your voice well enough.")
        return np.zeros(EMBEDDING_DIM, np.float32)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("enough, stored", [(3, True), (5, True), (99, False)])
def test_voice_enrolment_asks_for_two_more_phrases_when_the_voiceprint_is_weak(monkeypatch, enough, stored):
    from assistant.frontends import enrol

    monkeypatch.setattr(enrol, "speaker_id_ok", lambda audio: True)
    said: list[str] = []
    mic, sid = _Microphone(), _Identifier(enough)
    assert enrol.enrol_by_voice("carol", mic, said.append, sid, out=lambda *_: None) is stored
    asked = [s for s in said if s.startswith(("First", "Next"))]
    if enough == 3:
        assert sid.tries == [3] and len(asked) == 3 and said[-1].startswith("Thanks, Carol")
        return
    assert sid.tries == [3, 5] and mic.heard == 5
    assert any(enrol.MORE_PROMPTS[0] in s for s in asked) and any("2 more sentences" in s for s in said)
    if stored:
        assert said[-1].startswith("Thanks, Carol")
    else:  # said clearly, and nothing stored
        assert "couldn't learn your voice well enough" in said[-1] and "haven't saved it" in said[-1]


@pytest.mark.timeout(30)
def test_speech_under_noise_is_matched_against_the_noisy_threshold_without_the_timbre():
    from assistant.voice.speaker_id import MAX_TIMBRE_DISTANCE, NOISY_CONTRAST_DB, NOISY_THRESHOLD, THRESHOLD

    sid = load_speaker_id()
    alice = np.zeros(EMBEDDING_DIM, np.float32)
    alice[0] = 1.0
    sid.enroll_voices("alice", [alice] * 3, _timbres(3))
    similarity = (NOISY_THRESHOLD + THRESHOLD) / 2  # between the two bars
    heard = alice.copy()
    heard[1] = np.sqrt(1 - similarity**2)
    heard[0] = similarity
    moved = np.full(TIMBRE_DIM, 2 * MAX_TIMBRE_DISTANCE / np.sqrt(TIMBRE_DIM), np.float32)  # noise moves it
    assert sid.decide(heard, moved, NOISY_CONTRAST_DB - 20).name == "alice"
    assert sid.decide(heard, moved, NOISY_CONTRAST_DB + 20).name is None  # clean: the full threshold
    assert sid.decide(heard, np.zeros(TIMBRE_DIM, np.float32)).name is None
    heard[0], heard[1] = NOISY_THRESHOLD - 0.05, np.sqrt(1 - (NOISY_THRESHOLD - 0.05) ** 2)
    assert sid.decide(heard, moved, NOISY_CONTRAST_DB - 20).name is None  # still a bar under noise


class _Store:
    def __init__(self) -> None:
        self.rows: dict[str, bytes] = {}

    def save_voiceprint(self, user, embedding, clips, model):
        self.rows[user] = embedding

    def voiceprints(self, model):
        return dict(self.rows)


@pytest.mark.timeout(30)
def test_the_noisy_voiceprint_is_stored_and_older_prints_without_it_still_load():
    from assistant.voice.speaker_id import NOISY_CONTRAST_DB

    rng = np.random.default_rng(3)
    centre = rng.standard_normal(EMBEDDING_DIM)
    centre /= np.linalg.norm(centre)
    shifted = rng.standard_normal(EMBEDDING_DIM)
    shifted = _voice(rng, centre + 0.8 * shifted / np.linalg.norm(shifted), 0.0, 1)[0]  # where noise moves it
    store = _Store()
    sid = load_speaker_id(store)
    phrases = _voice(rng, centre, 0.02, 3)
    sid.enroll_voices("dora", phrases, _timbres(3), np.inf, [np.stack([shifted] * 3)] * 3)
    assert len(store.rows["dora"]) == (2 * EMBEDDING_DIM + TIMBRE_DIM) * 4
    again = load_speaker_id(store)
    noisy = again.decide(shifted, np.zeros(TIMBRE_DIM, np.float32), NOISY_CONTRAST_DB - 20)
    assert noisy.name == "dora"
    assert noisy.score > float(shifted @ again._prints["dora"])  # matched against the noisy print
    store.rows["eve"] = store.rows["dora"][: (EMBEDDING_DIM + TIMBRE_DIM) * 4]  # enrolled before
    again.reload()
    assert again.names == ["dora", "eve"] and np.array_equal(again._noisy_prints["eve"], again._prints["eve"])
