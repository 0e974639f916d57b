"""Who is speaking: voiceprints from Resemblyzer's speaker encoder, matched per utterance.

``from assistant.speaker import load_speaker_id; sid = load_speaker_id(); sid.enroll("alice",
[audio, ...]); name, score = sid.identify(audio)``: audio is 16 kHz mono float32; ``name`` is
None for a voice that matches nobody enrolled well enough.

The encoder is Resemblyzer's (Apache-2.0; a 3-layer LSTM, 256-dim d-vectors, its 17 MB weights
inside the wheel), run over 1.6 s windows of the utterance without zero padding (``_embed``). A
voiceprint is the normalised mean embedding of the enrolment phrases. A
voice is accepted as a person when its cosine similarity to that person's voiceprint reaches
``threshold`` *and* beats the next-best enrolled person by ``margin``: two similar voices in
one household are then left unknown (guest-like) rather than switched to the wrong profile.

Voiceprints live in the history store's ``voiceprints`` table (``load_speaker_id(store)``);
without a store they live in memory only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

from assistant.errors import AudioError
from assistant.speech.vad import VoiceDetector
from assistant.stages import SAMPLE_RATE

# What made a stored voiceprint; prints of any other tag are ignored (not loaded, so the voice
# loop asks that person to enrol again). "resemblyzer-0.1.4" prints came from Resemblyzer's own
# ``embed_utterance``, whose zero-padded last window no longer matches ``_embed``.
MODEL = "resemblyzer-0.1.4-unpadded"
# Chosen on the tuning voices of bench/wake_speaker.py (never on its test voices) as the highest
# threshold that still accepts >= 95 % of enrolled speakers' utterances as themselves: at 0.85,
# 96.7 % of them are, and 8 % of unknown espeak-ng voices are accepted as someone (0.86: 93.3 % /
# 8 %; 0.87: 90 % / 4 %). Voices of one synthesiser are far closer to each other than people
# are; no real human recording of pocketsphinx-testdata came near (best similarity 0.66).
THRESHOLD = 0.85
# Kept from the first version: no two enrolled tuning voices are closer than 0.82, so they cannot
# choose it (any margin up to 0.03 changes nothing there). On the test voices bob and frank
# (espeak-ng m3 and m1) are 0.93 apart and this margin leaves 5 of their 30 utterances unknown
# rather than risk the other's profile.
MARGIN = 0.03
# Tried on the same sets and not kept: adaptive S-norm against a cohort of 50 espeak-ng named
# variants that neither split uses (top 20/50/100 or all: 33-42 % of unknown test voices accepted
# at >= 95 % right, against 30 % for plain cosine); rejecting voices closer to a cohort voice than
# to the voiceprint; an LDA projection trained on that cohort; enrolment phrases time-stretched to
# other speaking rates; pre-ReLU or LSTM-state vectors; the mean of per-phrase similarities. The
# max of per-phrase similarities did a little better without a margin but left 15 % of enrolled
# utterances unknown with one (bob/frank). The unknown test voices accepted are espeak-ng variants
# with (nearly) the formants of an enrolled one (f5 shares f2's first four, f3 is within a few %
# of f4): against Alice's voiceprint her own test utterances score 0.85-0.93 (median 0.91) and
# en-gb-scotland+f5's 0.83-0.91 (median 0.88). No threshold or score normalisation over these
# d-vectors separates them. Per-person thresholds from the spread of the enrolment phrases
# (leave-one-out or pairwise, offset chosen on tuning) did no better either (94.4 % / 28.3 %).
# Resemblyzer's encoder was trained on 1.6 s windows (160 frames of 10 ms). Its own
# embed_utterance takes one window every 0.77 s and zero-pads the last, so a 2 s command is one
# or two windows, the last ending in up to a second of padding inside the LSTM's final state.
# Here windows start every 0.4 s and the last one ends where the utterance ends (a shorter
# utterance is one window of its real length). Measured on the bench's test voices as a curve
# (margin 0; the threshold itself is chosen on the tuning voices): with >= 95 % of enrolled
# utterances right, 16.7 % of unknown voices are accepted against 30 % before; with <= 5 %
# accepted, 76.7 % are right against 70 %. Windows every 0.1 or 0.2 s, or embed_utterance with
# rate 3-10, came out within one unknown voice (10 utterances) of this.
WINDOW_FRAMES = 160
WINDOW_STEP_FRAMES = 40
MIN_SPEECH_S = 0.8  # voiced audio one utterance needs to be matched at all
# Loud against quiet 30 ms frames (95th vs 10th percentile of their energy): speech with its
# pauses spans 30-60 dB; steady noise or a constant hum under 6 dB.
MIN_CONTRAST_DB = 12.0
MIN_ENROL_CLIPS = 3
MIN_ENROL_SPEECH_S = 1.0  # per enrolment phrase


class EnrolmentError(AudioError):
    """An enrolment that cannot make a usable voiceprint (too short, silent, noisy)."""


class VoiceprintStore(Protocol):
    def save_voiceprint(self, user: str, embedding: bytes, clips: int, model: str) -> None: ...
    def voiceprints(self, model: str) -> dict[str, bytes]: ...


@dataclass
class Match:
    name: str | None
    score: float  # cosine similarity to the best voiceprint
    runner_up: float  # ... to the second best (0 when only one is enrolled)
    heard: bool = True  # False: too little speech to tell anyone apart (keep whoever it was)


@lru_cache(maxsize=1)
def _encoder():  # -> resemblyzer.VoiceEncoder
    from resemblyzer import VoiceEncoder

    return VoiceEncoder("cpu", verbose=False)


def warm() -> None:
    """Load the encoder (about 1.5 s) before the first utterance needs it."""
    _encoder()


def _embed(wav: np.ndarray) -> np.ndarray:
    """Mean of the encoder's unit d-vectors over 1.6 s windows of ``wav`` (see WINDOW_FRAMES)."""
    import torch
    from resemblyzer.audio import wav_to_mel_spectrogram

    encoder = _encoder()
    mel = wav_to_mel_spectrogram(wav)  # (frames, 40)
    if len(mel) <= WINDOW_FRAMES:
        windows = mel[None]
    else:
        starts = list(range(0, len(mel) - WINDOW_FRAMES + 1, WINDOW_STEP_FRAMES))
        if starts[-1] != len(mel) - WINDOW_FRAMES:
            starts.append(len(mel) - WINDOW_FRAMES)
        windows = np.stack([mel[s : s + WINDOW_FRAMES] for s in starts])
    partials = encoder(torch.from_numpy(windows).to(encoder.device)).cpu().numpy()
    # A window whose ReLU output is all zero normalises to NaN; it says nothing about the voice.
    partials = partials[np.all(np.isfinite(partials), axis=1)]
    if not len(partials):
        raise AudioError("the voice encoder found nothing in this audio")
    return partials.mean(axis=0)


def speech_contrast_db(audio: np.ndarray) -> float:
    frames = audio[: len(audio) // 480 * 480].reshape(-1, 480)
    if len(frames) < 2:
        return 0.0
    energy = np.mean(frames**2, axis=1) + 1e-10
    return float(10 * np.log10(np.percentile(energy, 95) / np.percentile(energy, 10)))


def speech_seconds(audio: np.ndarray) -> float:
    return VoiceDetector(aggressiveness=2).speech_seconds(audio)


class SpeakerIdentifier:
    def __init__(
        self,
        store: VoiceprintStore | None = None,
        threshold: float = THRESHOLD,
        margin: float = MARGIN,
    ) -> None:
        self.store = store
        self.threshold, self.margin = threshold, margin
        self._prints: dict[str, np.ndarray] = {}
        if store is not None:
            for name, blob in store.voiceprints(MODEL).items():
                self._prints[name] = np.frombuffer(blob, dtype=np.float32).copy()
        self._lock = threading.Lock()  # the LSTM keeps no state, but torch threads are shared

    @property
    def names(self) -> list[str]:
        return sorted(self._prints)

    def embed(self, audio: np.ndarray, min_speech_s: float = MIN_SPEECH_S) -> np.ndarray:
        """The unit-length d-vector of one utterance; ``AudioError`` when it holds too little speech."""
        import torch
        from resemblyzer import preprocess_wav

        samples = _check(audio)
        voiced = speech_seconds(samples)
        if voiced < min_speech_s:
            raise AudioError(
                f"only {voiced:.1f} s of speech; {min_speech_s:.1f} s needed to recognise a voice",
                user_message="I didn't hear enough of your voice.",
            )
        contrast = speech_contrast_db(samples)
        if contrast < MIN_CONTRAST_DB:
            raise AudioError(
                f"the voice hardly stands out of the background ({contrast:.0f} dB between loud and quiet parts)",
                user_message="It's too noisy for me to learn or recognise a voice.",
            )
        wav = preprocess_wav(samples)  # volume normalised, long silences cut
        if len(wav) < SAMPLE_RATE * 0.5:
            wav = samples
        with self._lock, torch.inference_mode():
            embedding = _embed(wav)
        return (embedding / np.linalg.norm(embedding)).astype(np.float32)

    def enroll(self, name: str, clips: list[np.ndarray]) -> np.ndarray:
        """Make and store ``name``'s voiceprint from at least three phrases of their speech."""
        name = name.strip().lower()
        if not name:
            raise EnrolmentError("a voiceprint needs a name")
        if len(clips) < MIN_ENROL_CLIPS:
            raise EnrolmentError(
                f"{len(clips)} phrases given; enrolment needs {MIN_ENROL_CLIPS}",
                user_message=f"I need {MIN_ENROL_CLIPS} phrases to learn your voice.",
            )
        embeddings = []
        for i, clip in enumerate(clips, 1):
            try:
                embeddings.append(self.embed(clip, MIN_ENROL_SPEECH_S))
            except AudioError as exc:
                raise EnrolmentError(
                    f"phrase {i}: {exc.args[0] if exc.args else exc}",
                    user_message="That phrase was too short or too quiet. Let's try again.",
                ) from None
        stacked = np.stack(embeddings)
        # Phrases that disagree with each other are not one voice (noise, two people talking).
        centroid = stacked.mean(axis=0)
        centroid /= np.linalg.norm(centroid)
        agreement = float(np.min(stacked @ centroid))
        if agreement < self.threshold - 0.1:
            raise EnrolmentError(
                f"the phrases do not sound like one voice (similarity {agreement:.2f})",
                user_message="Those phrases didn't sound like the same voice. Let's try again somewhere quieter.",
            )
        self._prints[name] = centroid.astype(np.float32)
        if self.store is not None:
            self.store.save_voiceprint(name, self._prints[name].tobytes(), len(clips), MODEL)
        return self._prints[name]

    def forget(self, name: str) -> None:
        """Drop a voiceprint from memory (the store deletes its row with the user's data)."""
        self._prints.pop(name.strip().lower(), None)

    def reload(self) -> None:
        if self.store is not None:
            self._prints = {
                n: np.frombuffer(b, dtype=np.float32).copy() for n, b in self.store.voiceprints(MODEL).items()
            }

    def match(self, audio: np.ndarray) -> Match:
        if not self._prints:
            return Match(None, 0.0, 0.0)
        try:
            embedding = self.embed(audio)
        except AudioError:
            return Match(None, 0.0, 0.0, heard=False)  # too little speech to tell
        scores = sorted(((float(v @ embedding), n) for n, v in self._prints.items()), reverse=True)
        best, name = scores[0]
        runner_up = scores[1][0] if len(scores) > 1 else 0.0
        accepted = best >= self.threshold and best - runner_up >= self.margin
        return Match(name if accepted else None, best, runner_up)

    def identify(self, audio: np.ndarray) -> tuple[str | None, float]:
        """(enrolled name or None, similarity to the best voiceprint)."""
        match = self.match(audio)
        return match.name, match.score


def _check(audio: object) -> np.ndarray:
    if not isinstance(audio, np.ndarray) or not np.issubdtype(audio.dtype, np.floating):
        raise AudioError("audio must be a float32 numpy array")
    samples = audio.reshape(-1).astype(np.float32, copy=False)
    if not np.all(np.isfinite(samples)):
        raise AudioError("audio contains NaN or infinite samples")
    return np.clip(samples, -1.0, 1.0)


def load_speaker_id(store: VoiceprintStore | None = None, **options: float) -> SpeakerIdentifier:
    """The speaker identifier over ``store``'s voiceprints (in memory when ``store`` is None)."""
    return SpeakerIdentifier(store, **options)
