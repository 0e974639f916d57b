"""Enrolment by voice: the assistant asks for three short phrases and makes a voiceprint.

Started in voice mode when "this is Alice" switches to a profile that has no voiceprint yet,
and by ``assistant enroll NAME`` from the command line. Each phrase is listened for like a
request (same endpointer); a phrase too short or too quiet is asked for once more. Phrases that
make a voiceprint too weak to recognise the person by (``speaker_id.WeakEnrolmentError``: one
phrase does not match the others well enough) are followed by two more sentences
(``MORE_PROMPTS``); an enrolment that still cannot make a voiceprint says why and stores nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import numpy as np

from assistant.contracts.errors import AudioError, TextToSpeechError
from assistant.voice.audio import Microphone
from assistant.voice.speaker_id import EnrolmentError, SpeakerIdentifier, WeakEnrolmentError
from assistant.voice.vad import EndpointConfig

# Short, varied sentences: each gives two to three seconds of voiced speech at a normal pace.
PROMPTS = (
    "the quick brown fox jumps over the lazy dog",
    "please wake me up a little earlier tomorrow morning",
    "my favourite colour is the blue of a summer sky",
)
# Asked for only when the first three make a weak voiceprint: more of the voice, other sounds.
MORE_PROMPTS = (
    "on sunny days we like to walk along the river to the old bridge",
    "could you read me the shopping list and then play something cheerful",
)
PHRASE_WAIT_S = 6.0  # how long to wait for a phrase to start


def enrol_by_voice(
    name: str,
    microphone: Microphone,
    say: Callable[[str], None],
    speaker_id: SpeakerIdentifier,
    prompts: tuple[str, ...] = PROMPTS,
    out: Callable[[str], None] = print,
    more_prompts: tuple[str, ...] = MORE_PROMPTS,
) -> bool:
    """Ask for ``prompts`` one by one, enrol ``name``; True when the voiceprint was stored."""
    shown = name.strip().capitalize()
    say(f"Hi {shown}. To learn your voice, please repeat three short sentences after me.")
    clips: list[np.ndarray] = []
    config = EndpointConfig(start_timeout_s=PHRASE_WAIT_S)

    def ask(prompt: str, first: bool) -> bool:
        for attempt in range(2):
            say(("First" if first else "Next") + f": {prompt}." if attempt == 0 else f"Once more: {prompt}.")
            microphone.drain()  # the prompt itself is not the person's voice
            utterance = microphone.listen(config)
            if utterance is not None and speaker_id_ok(utterance.audio):
                clips.append(utterance.audio)
                out(f"(phrase {len(clips)}: {len(utterance.audio) / 16000:.1f} s)")
                return True
        say("I couldn't hear that phrase clearly, so I haven't learned your voice.")
        return False

    if not all(ask(prompt, i == 0) for i, prompt in enumerate(prompts)):
        return False
    try:
        try:
            speaker_id.enroll(name, clips)
        except WeakEnrolmentError as exc:
            out(f"(a weak voiceprint: {exc}; asking for {len(more_prompts)} more phrases)")
            if not more_prompts:
                raise
            say(f"Almost there. I need {len(more_prompts)} more sentences to know your voice well.")
            if not all(ask(prompt, False) for prompt in more_prompts):
                return False
            speaker_id.enroll(name, clips)
    except WeakEnrolmentError as exc:
        out(f"(enrolment failed: {exc})")
        say(
            "I still couldn't learn your voice well enough to recognise you, so I haven't saved it. "
            "We can try again later, somewhere quieter."
        )
        return False
    except EnrolmentError as exc:
        out(f"(enrolment failed: {exc})")
        say(exc.user_message)
        return False
    say(f"Thanks, {shown}. I'll recognise your voice from now on.")
    return True


def speaker_id_ok(audio: np.ndarray) -> bool:
    """Enough voiced speech in one phrase to be worth keeping."""
    from assistant.voice.speaker_id import MIN_ENROL_SPEECH_S, speech_seconds

    return speech_seconds(audio) >= MIN_ENROL_SPEECH_S


def enroll_main(args: argparse.Namespace) -> int:
    """``assistant enroll NAME [--no-tts]`` (parsed in assistant/cli.py): enrol one voice by microphone."""
    from assistant.app import open_store
    from assistant.config import CONFIG_FILE, data_dir, load_settings
    from assistant.voice.speaker_id import load_speaker_id
    from assistant.voice.speech_stream import speak
    from assistant.voice.tts import load_tts

    name = args.name.strip().lower()
    if not name or name == "guest" or not name.replace("-", "").replace("_", "").isalnum():
        print(f"error: {args.name!r} is not a usable profile name", file=sys.stderr)
        return 2
    from assistant.voice.audio import Speaker

    try:
        microphone = Microphone()
        microphone.open()
    except AudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    home = data_dir()
    settings = load_settings(home / CONFIG_FILE)
    tts = None
    if not args.no_tts:
        try:
            tts = load_tts(settings.tts_voice, on_fallback=lambda m: print(f"warning: {m}", file=sys.stderr))
        except TextToSpeechError as exc:  # the prompts are still printed
            print(f"speech output unavailable: {exc}", file=sys.stderr)
    speaker = Speaker() if tts is not None else None

    def say(text: str) -> None:
        print(f"assistant> {text}", flush=True)
        if tts is not None and speaker is not None:
            speaker.play(speak(tts, text))

    store = open_store(home)
    try:
        ok = enrol_by_voice(name, microphone, say, load_speaker_id(store))
    finally:
        microphone.close()
        store.close()
        if tts is not None and hasattr(tts, "close"):
            tts.close()
    return 0 if ok else 1
