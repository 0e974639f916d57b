"""Voice mode (``--mic``): listen, run the turn from audio, speak the answer, listen again.

Each utterance is saved as a 16 kHz WAV under the user's recordings folder and the turn's
``turn-start`` event names it relative to the session log, so ``--replay`` feeds the same audio
through speech-to-text. After a question the assistant listens for a reply for
``followup_window_s`` without waiting for Enter. Barge-in: speaking while the answer plays stops
the answer, and those words start the next utterance. No usable audio device: ``run_voice``
raises ``VoiceUnavailableError`` and the command line (``assistant.cli.voice_main``) prints a
clear message, then runs terminal chat; this module never imports the command line.

With ``--wake`` the loop waits for the wake word (``assistant.voice.wake``, ``[wake] word``) before
each request and acknowledges it with a short chime; a follow-up after a question needs no
wake word. With voiceprints enrolled (``assistant.voice.speaker_id``) every utterance is matched first:
a known voice switches to that person's profile; an unknown voice while an enrolled person's
profile is active switches to the guest profile (never to someone else's). "This is Alice" for
a profile without a voiceprint starts enrolment by voice (``assistant.frontends.enrol``).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.config import Settings, ensure_private_dir
from assistant.contracts.errors import AudioError, TextToSpeechError
from assistant.contracts.stages import SpokenAudio
from assistant.dialogue import trailing_slots
from assistant.pipeline.runner import GUEST_USER, Pipeline, Session, TurnResult
from assistant.pipeline.session_log import recordings_dir
from assistant.voice.audio import Microphone, Playback, Speaker, Utterance
from assistant.voice.bargein import BargeInMicrophone
from assistant.voice.endpointing import SPECULATE_AFTER_S, SemanticEndpointing
from assistant.voice.speculative import SpeculativeSpeechToText
from assistant.voice.speech_stream import speak
from assistant.voice.stt import quick_stage
from assistant.voice.vad import EndpointConfig
from assistant.voice.wavfile import write_wav

IDLE_TIMEOUT_S = 30.0  # always-listening mode re-arms the endpointer this often
WAKE_LISTEN_S = 5.0  # after the wake word, the request must start within this time
CHIME_RATE = 22050


def chime() -> SpokenAudio:
    """Two short rising tones (A5 then E6, 70 ms each, faded in and out): "I'm listening"."""
    t = np.arange(int(0.07 * CHIME_RATE)) / CHIME_RATE
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)
    tones = [0.3 * np.sin(2 * np.pi * f * t) * fade for f in (880.0, 1318.5)]
    return SpokenAudio(np.concatenate(tones).astype(np.float32), CHIME_RATE)


class VoiceUnavailableError(AudioError):
    """No usable microphone or speaker: the caller falls back to text chat."""


@dataclass
class VoiceTurn:
    """One spoken turn: what was heard, the pipeline's result, and the reply's playback."""

    utterance: Utterance
    result: TurnResult
    playback: Playback | None
    audio_name: str | None

    @property
    def latency_s(self) -> float | None:
        """End of the user's speech to the first sample of the spoken reply."""
        if self.playback is None or self.playback.first_sample_at is None:
            return None
        return self.playback.first_sample_at - self.utterance.speech_end_at


class VoiceLoop:
    """One voice session over an open microphone; ``step()`` runs one listen-answer cycle."""

    def __init__(
        self,
        pipeline: Pipeline,
        session: Session,
        microphone: Microphone,
        speaker: Speaker | None,
        home: Path,
        push_to_talk: bool = False,
        wait_key=input,
        out=print,
        wake=None,
        speaker_id=None,
    ) -> None:
        self.pipeline, self.session, self.mic, self.speaker = pipeline, session, microphone, speaker
        self.home = home
        self.push_to_talk = push_to_talk
        self.wait_key = wait_key
        self.out = out
        settings = pipeline.settings
        self.endpoint = EndpointConfig(
            trailing_silence_s=settings.trailing_silence_s, max_utterance_s=settings.max_utterance_s
        )
        self.followup_window_s = settings.followup_window_s
        self.awaiting_reply = False
        self.wake = wake  # a wake-word detector (assistant.voice.wake), or None: listen to everything
        self.speaker_id = speaker_id  # assistant.voice.speaker_id.SpeakerIdentifier, or None
        self.wakes = 0
        self.semantic_endpointing = settings.semantic_endpointing
        # Transcribe during the trailing-silence wait; the pipeline sees a plain SpeechToText.
        self.stt: SpeculativeSpeechToText | None = None
        if pipeline.stt is not None:
            if not isinstance(pipeline.stt, SpeculativeSpeechToText):
                pipeline.stt = SpeculativeSpeechToText(pipeline.stt, quick=quick_stage(pipeline.stt))
            self.stt = pipeline.stt
        nouns = frozenset(noun for spec in pipeline.skills.specs for noun in spec.words.item_nouns)
        self.endpointing = (
            None
            if self.stt is None
            else SemanticEndpointing(
                self.stt,
                self.pipeline.nlu.parse,
                item_nouns=nouns,
                trailing_slots=trailing_slots(pipeline.skills.specs),
                name_cues=frozenset(cue for spec in pipeline.skills.specs for cue in spec.words.name_cues),
            )
        )

    def _config(self, start_timeout_s: float | None) -> EndpointConfig:
        return EndpointConfig(**{**vars(self.endpoint), "start_timeout_s": start_timeout_s})

    def listen(self) -> Utterance | None:
        """The next utterance (after a reply's question, the wake word or a key press), or None."""
        if self.awaiting_reply:  # the assistant asked something: no key press needed
            self.awaiting_reply = False
            return self.mic.listen(
                self._config(self.followup_window_s), self._on_pause, SPECULATE_AFTER_S, self._end_early
            )
        if self.wake is not None:
            if not self.mic.wait_for_wake(self.wake, IDLE_TIMEOUT_S):
                return None
            self.wakes += 1
            checks = getattr(self.wake, "checks", None)  # assistant.voice.wake_check: what Whisper heard
            self.out(f"(wake word heard: {checks[-1].transcript!r})" if checks else "(wake word heard)")
            self._acknowledge()
            return self.mic.listen(
                self._config(WAKE_LISTEN_S), self._on_pause, SPECULATE_AFTER_S, self._end_early
            )
        if self.push_to_talk:
            self.out("(press Enter, then speak)")
            # No semantic endpointing here (the key ends the turn): the pause's transcript is the stage's.
            utterance = self.mic.push_to_talk(self._config(8.0), self.wait_key, self._on_pause_full)
            if utterance is None:
                self.out("I didn't hear anything.")
            return utterance
        return self.mic.listen(
            self._config(IDLE_TIMEOUT_S), self._on_pause, SPECULATE_AFTER_S, self._end_early
        )

    def _end_early(self, voiced_samples: int) -> bool:
        """Semantic endpointing (``assistant.voice.endpointing``) on the speculative transcript."""
        if self.endpointing is None or not self.semantic_endpointing:
            return False
        return self.endpointing.end_early(voiced_samples)

    def _acknowledge(self) -> None:
        """The chime after the wake word; captured audio stays queued (the request may have begun)."""
        if self.speaker is None:
            return
        try:
            self.speaker.play(chime())
        except AudioError as exc:
            self.out(f"(cannot play the chime: {exc})")

    def identify(self, utterance: Utterance) -> None:
        """Switch the session to whoever is speaking (or to the guest profile; see module doc)."""
        sid = self.speaker_id
        if sid is None or not sid.names:
            return
        match = sid.match(utterance.audio)
        if not match.heard:  # "stop", "yes": too short to tell; whoever it was stays
            return
        if match.name is not None and match.name != self.session.user:
            self.out(f"(voice recognised: {match.name}, similarity {match.score:.2f})")
            self.pipeline.switch_user(self.session, match.name)
        elif match.name is None and self.session.user in sid.names:
            self.out(f"(a voice I don't know, similarity {match.score:.2f}: guest profile)")
            self.pipeline.switch_user(self.session, GUEST_USER)

    def say(self, text: str) -> None:
        """Speak (and print) a line that is not a turn: the enrolment prompts."""
        self.out(f"assistant> {text}")
        if self.speaker is None or self.pipeline.tts is None:
            return
        try:
            self.speaker.play(speak(self.pipeline.tts, text))
        except (AudioError, TextToSpeechError) as exc:
            self.out(f"(cannot speak: {exc})")

    def _after_turn(self, user_before: str) -> None:
        sid = self.speaker_id
        if sid is None:
            return
        user = self.session.user
        if user in sid.names and not self.pipeline.store.has_voiceprint(user):
            sid.forget(user)  # "forget me" deleted the stored voiceprint
        if user != user_before and user not in (GUEST_USER, self.pipeline.settings.default_user):
            if user not in sid.names:  # "this is Alice" for a voice not enrolled yet
                from assistant.frontends.enrol import enrol_by_voice

                enrol_by_voice(user, self.mic, self.say, sid, out=self.out)
                self.mic.drain()

    def close(self) -> None:
        """Stop the speech-to-text stage's background work."""
        if self.stt is not None:
            self.stt.close()

    def _on_pause(self, audio: np.ndarray, voiced_samples: int) -> None:
        if self.endpointing is not None:
            self.endpointing.on_pause(audio, voiced_samples, quick=self.semantic_endpointing)

    def _on_pause_full(self, audio: np.ndarray, voiced_samples: int) -> None:
        if self.endpointing is not None:
            self.endpointing.on_pause(audio, voiced_samples, quick=False)

    def save(self, utterance: Utterance) -> str | None:
        """Write the utterance beside the session; the name is relative to the session log."""
        if not self.session.records or self.session.log is None:
            return None
        folder = ensure_private_dir(recordings_dir(self.home, self.session.user) / self.session.id)
        wav = write_wav(folder / f"turn-{self.session.turns + 1:03d}.wav", utterance.audio)
        os.chmod(wav, 0o600)
        return os.path.relpath(wav, self.session.log.path.parent)

    def step(self) -> VoiceTurn | None:
        """Listen once and answer; ``None`` when nothing was said."""
        utterance = self.listen()
        if utterance is None:
            return None
        if self.stt is not None:
            self.stt.claim(utterance.voiced_samples)
        self.identify(utterance)
        user_before = self.session.user
        audio_name = self.save(utterance)
        speak = self.speaker is not None and self.pipeline.tts is not None
        result = self.pipeline.run_turn(
            self.session, audio=utterance.audio, audio_name=audio_name, speak=speak
        )
        self.out(f"you> {result.text or '(nothing understood)'}")
        self.out(f"assistant> {result.response}")
        playback = None
        if result.speech is not None and self.speaker is not None:
            try:
                playback = self.speaker.play(result.speech, self.mic)
            except AudioError as exc:
                self.out(f"(cannot play the answer: {exc})")
        if playback is not None and playback.interrupted:
            self.awaiting_reply = True  # the user is already talking: take it as the next turn
        else:
            self.awaiting_reply = result.expects_reply
            self.mic.drain()  # what was heard while thinking/speaking was not addressed to us
        self._after_turn(user_before)
        return VoiceTurn(utterance, result, playback, audio_name)


def run_voice(args: argparse.Namespace, home: Path, settings: Settings, max_turns: int | None = None) -> int:
    """The ``--mic`` entry point; ``VoiceUnavailableError`` when there is no usable audio device
    (the caller falls back to text chat)."""
    from assistant.app import build_pipeline, warm_up

    speak = not getattr(args, "no_tts", False) and settings.tts_enabled
    try:
        microphone = BargeInMicrophone()  # a plain Microphone until a listener is set
        microphone.open()
        speaker = Speaker() if speak else None
    except AudioError as exc:
        raise VoiceUnavailableError(str(exc)) from exc
    try:
        pipeline = _build(build_pipeline, home, settings, speak)
        warm_up(pipeline)
        session = pipeline.start_session(args.user or settings.default_user, mode="voice", seed=args.seed)
        wake = _wake_word(settings, pipeline.stt) if getattr(args, "wake", False) else None
        if settings.barge_in and pipeline.stt is not None:
            microphone.listener = _stop_listener(pipeline.stt)
        loop = VoiceLoop(
            pipeline,
            session,
            microphone,
            speaker,
            home,
            push_to_talk=getattr(args, "push_to_talk", False),
            wake=wake,
            speaker_id=_speaker_id(pipeline) if settings.speaker_id else None,
        )
        if pipeline.advisor is not None and speaker is not None and pipeline.tts is not None:
            # Said while the language model works (its calls take 1-3 s): first audio stays < 1 s.
            filler = pipeline.tts.synthesize(pipeline.nlg.render("thinking", random.Random(0)))
            pipeline.advisor.on_thinking = lambda: threading.Thread(
                target=speaker.play, args=(filler, microphone), daemon=True
            ).start()
        hint = f'Say "{wake.phrase}", then ask' if wake is not None else "Listening. Ask"
        print(f"{hint} for {pipeline.skills_summary()}; Ctrl-C to stop.", flush=True)
        turns = 0
        try:
            while max_turns is None or turns < max_turns:
                if loop.step() is not None:
                    turns += 1
        except (KeyboardInterrupt, EOFError):
            pass
        finally:
            pipeline.end_session(session)
            loop.close()
            if pipeline.tts is not None and hasattr(pipeline.tts, "close"):
                pipeline.tts.close()
    finally:
        microphone.close()
    return 0


def _build(build_pipeline, home: Path, settings: Settings, speak: bool) -> Pipeline:
    """The pipeline with speech; a broken TTS engine leaves the assistant printing answers."""
    try:
        return build_pipeline(home, settings, stt_model=settings.stt_model, speak=speak)
    except TextToSpeechError as exc:
        print(f"speech output unavailable ({exc}); answers are printed only.", file=sys.stderr)
        return build_pipeline(home, settings, stt_model=settings.stt_model, speak=False)


def _wake_word(settings: Settings, stt=None):  # -> assistant.voice.wake.WakeWordDetector
    """The wake word, each detection confirmed by the pipeline's own speech-to-text."""
    from assistant.voice.wake import load_wake_word

    try:
        return load_wake_word(settings.wake_word, stt=stt)
    except AudioError as exc:
        raise VoiceUnavailableError(f"wake word unavailable: {exc}") from exc


def _stop_listener(stt):  # -> assistant.voice.bargein.StopListener
    """Listens for "stop" while a track plays (``assistant.voice.bargein``), over the raw speech-to-text."""
    from assistant.playback.player import current_player
    from assistant.voice.bargein import PlayerOutput, StopListener

    def said(decision) -> None:
        if decision.action != "resume":
            print(f"(heard {decision.text.strip()!r} while playing: {decision.action})", flush=True)

    return StopListener(stt, PlayerOutput(current_player), on_barge_in=said)


def _speaker_id(pipeline: Pipeline):  # -> assistant.voice.speaker_id.SpeakerIdentifier | None
    """Voiceprints from the history store; None when speaker identification cannot load."""
    try:
        from assistant.voice.speaker_id import load_speaker_id, warm

        sid = load_speaker_id(pipeline.store)
        if sid.names:
            warm()  # load the encoder now: the first request must not wait for it
        return sid
    except ImportError as exc:
        print(f"speaker identification unavailable ({exc}); run ./setup.sh", file=sys.stderr)
        return None
