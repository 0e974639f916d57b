"""Audio playback beside the dialogue: decode, play, pause, skip, gain and ducking.

Decoding (``assistant/playback/decode.py``) is ``soundfile``, with an ``ffmpeg`` subprocess for what it
cannot read (M4A/AAC) and for http(s) streams.
Output is one ``sounddevice`` stream per track whose callback reads decoded blocks from
a bounded queue filled by a feeder thread, so nothing here blocks the turn that started it.
Pause and stop abort the stream (PortAudio drops its buffer at once); resume restarts it.

When a track ends, the ``next_track`` callback the caller gave (a skill's recommender) picks
the next one. Listening is feedback: a track replaced within ``SKIP_WINDOW_S`` is a "skip", one
played to its end a "play"; ``take_listens()`` hands them to whoever records them (the
pipeline, on its own thread: the history store's connection is not shared across threads).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.playback.decode import (
    BLOCK_FRAMES,
    DEFAULT_OPEN_TIMEOUT_S,
    Decoder,
    PlaybackError,
    open_decoder,
)

__all__ = ["AudioPlayer", "Listen", "NowPlaying", "PlayableTrack", "PlaybackError", "Player", "open_decoder"]
log = logging.getLogger(__name__)

SKIP_WINDOW_S = 30.0  # replaced within this long: the listener skipped it
DUCK_GAIN = 0.25  # -12 dB under the assistant's voice
QUEUE_BLOCKS = 24  # ~1 s of decoded audio waiting for the device


@dataclass(frozen=True)
class PlayableTrack:
    """A track a skill hands the player: where to find it and what to call it."""

    id: str
    title: str
    location: str  # a file path or an http(s) URL
    owner: str = ""  # the skill it belongs to: listens are recorded under that name
    subtitle: str = ""
    duration_s: float | None = None


@dataclass(frozen=True)
class Listen:
    """One finished or abandoned track: ``kind`` is "play" (to the end) or "skip"."""

    owner: str
    track_id: str
    kind: str
    listened_s: float
    ts: float


@dataclass(frozen=True)
class NowPlaying:
    """The track playing now, how far in it is, and whether it is paused."""

    track: PlayableTrack
    position_s: float
    paused: bool


NextTrack = Callable[[PlayableTrack], "PlayableTrack | None"]


class Player(Protocol):
    """What the dialogue and skills ask of a music player."""

    def play(self, track: PlayableTrack, next_track: NextTrack | None = None) -> None:
        """Play ``track`` now; ``next_track`` picks what follows when it ends."""

    def pause(self) -> bool:
        """Pause; False when nothing was playing."""

    def resume(self) -> bool:
        """Resume a paused track; False when nothing was paused."""

    def stop(self) -> bool:
        """Stop playing; False when nothing was playing."""

    def next(self) -> PlayableTrack | None:
        """Skip to the next track, or None when there is none."""

    def previous(self) -> PlayableTrack | None:
        """Go back to the track before this one, or None when there is none."""

    def again(self) -> PlayableTrack | None:
        """Play the current or last track again from the start, or None when there is none."""

    def set_volume(self, level: float) -> None:
        """Set the volume, 0 (silent) to 1."""

    def mute(self) -> None:
        """Silence the output until the volume is set again."""

    def now_playing(self) -> NowPlaying | None:
        """What is playing now, or None."""

    def take_listens(self) -> list[Listen]:
        """The listens finished since the last call (the player forgets them)."""


def _output_delay(time_info: object) -> float:
    """How long until this buffer's first sample is heard, as PortAudio reports it (0 if unknown)."""
    try:
        delay = float(time_info.outputBufferDacTime) - float(time_info.currentTime)  # type: ignore[attr-defined]
    except (AttributeError, TypeError, ValueError):
        return 0.0
    return delay if 0.0 <= delay < 2.0 else 0.0


# How long closing a track waits for the feeder to leave read(): a file block decodes in ~1 ms.
FEEDER_JOIN_S = 0.5


# --- one track on the device --------------------------------------------------------------------
class _Playing:
    """A track from decoder to device: the stream, its feeder thread and its counters."""

    def __init__(self, player: AudioPlayer, track: PlayableTrack, decoder: Decoder, next_track) -> None:
        self.player, self.track, self.decoder, self.next_track = player, track, decoder, next_track
        self.blocks: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=QUEUE_BLOCKS)
        self.leftover = np.zeros((0, decoder.channels), np.float32)
        self.frames = 0
        self.first_sample_at: float | None = None
        self.paused = False
        self.completed = False
        self.closed = threading.Event()
        self.stream = None
        first = decoder.read(BLOCK_FRAMES)
        if len(first) == 0:
            raise PlaybackError(f"{track.title} has no audio in it")
        self.blocks.put(first)
        self.feeder = threading.Thread(target=self._feed, name="player-feeder", daemon=True)
        self._decoder_lock = threading.Lock()
        self._decoder_closed = False
        self._feeder_closes = False
        self._feeder_done = False

    def _feed(self) -> None:
        try:
            self._feed_blocks()
        finally:
            self._close_decoder(by_feeder=True)

    def _feed_blocks(self) -> None:
        try:
            while not self.closed.is_set():
                block = self.decoder.read(BLOCK_FRAMES)
                item = block if len(block) else None
                while not self.closed.is_set():
                    try:
                        self.blocks.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if item is None:
                    return
        except Exception:  # a file that breaks mid-way ends the track; the next one follows
            log.exception("decoding %s failed part-way", self.track.location)
            with contextlib.suppress(queue.Full):
                self.blocks.put_nowait(None)

    def callback(self, out: np.ndarray, frames: int, time_info: object, status: object) -> None:
        import sounddevice as sd

        filled, ended = 0, False
        while filled < frames:
            if len(self.leftover) == 0:
                try:
                    block = self.blocks.get_nowait()
                except queue.Empty:
                    break  # the decoder is behind: silence, not a stop
                if block is None:
                    ended = True
                    break
                self.leftover = block
            n = min(frames - filled, len(self.leftover))
            out[filled : filled + n] = self.leftover[:n]
            self.leftover = self.leftover[n:]
            filled += n
        out[filled:] = 0.0
        out *= self.player.gain
        if filled and self.first_sample_at is None:
            self.first_sample_at = time.perf_counter() + _output_delay(time_info)
        self.frames += filled
        if ended:
            self.completed = True
            raise sd.CallbackStop

    def finished(self) -> None:
        """PortAudio's end-of-stream hook (its own thread): hand the end to the player's worker."""
        if self.completed and not self.closed.is_set():
            self.player._events.put(self)

    @property
    def position_s(self) -> float:
        return self.frames / self.decoder.samplerate

    def close(self) -> None:
        """Stop the stream and release the decoder, never under the feeder's feet."""
        self.closed.set()
        if self.stream is not None:
            with contextlib.suppress(Exception):
                self.stream.abort()
            with contextlib.suppress(Exception):
                self.stream.close()
        # libsndfile closed while the feeder is inside read() crashes the process (seen once in
        # the suite: a segfault when a track was replaced early). The feeder sees ``closed``
        # within one block; one still blocked in a stalled stream's read closes it on its way out.
        if self.feeder.is_alive() and self.feeder is not threading.current_thread():
            self.feeder.join(timeout=FEEDER_JOIN_S)
        self._close_decoder(by_feeder=False)

    def _close_decoder(self, by_feeder: bool) -> None:
        with self._decoder_lock:
            if by_feeder:
                self._feeder_done = True
            if self._decoder_closed:
                return
            feeder_reading = not self._feeder_done and self.feeder.is_alive()
            if not by_feeder and feeder_reading and self.feeder is not threading.current_thread():
                self._feeder_closes = True  # still in read(): closed there when it returns
                return
            if by_feeder and not (self._feeder_closes and self.closed.is_set()):
                return
            self._decoder_closed = True
        self.decoder.close()


class AudioPlayer:
    """The real player: one track at a time on the default (or given) output device."""

    def __init__(
        self, device: int | str | None = None, open_timeout_s: float = DEFAULT_OPEN_TIMEOUT_S
    ) -> None:
        self.device = device
        self.open_timeout_s = open_timeout_s
        self._lock = threading.RLock()
        self._current: _Playing | None = None
        self._history: list[PlayableTrack] = []
        self._next_track: NextTrack | None = None
        self._listens: list[Listen] = []
        self._level = 0.5  # the dialogue's volume starts at 5 of 10
        self._muted = False
        self._ducks = 0
        self._events: queue.Queue[_Playing | None] = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="player", daemon=True)
        self._worker.start()

    # --- gain ---------------------------------------------------------------------------------
    @property
    def gain(self) -> float:
        """Amplitude factor: level squared (loudness follows it roughly), ducked, or 0 muted."""
        if self._muted:
            return 0.0
        return self._level**2 * (DUCK_GAIN if self._ducks else 1.0)

    @property
    def volume(self) -> float:
        """The volume set, 0 (silent or muted) to 1 (the web page's slider shows it)."""
        return 0.0 if self._muted else self._level

    def set_volume(self, level: float) -> None:
        """Set the volume, 0 (silent) to 1; 0 also mutes."""
        self._level = min(1.0, max(0.0, float(level)))
        self._muted = self._level == 0.0

    def mute(self) -> None:
        """Silence the output until the volume is set again."""
        self._muted = True

    @contextlib.contextmanager
    def ducked(self) -> Iterator[None]:
        """Quieter while the assistant speaks; back up when it is done."""
        self._ducks += 1
        try:
            yield
        finally:
            self._ducks -= 1

    # --- transport ----------------------------------------------------------------------------
    def play(self, track: PlayableTrack, next_track: NextTrack | None = None) -> None:
        """Start ``track`` now (replacing what plays); returns once audio is on its way.

        Raises ``PlaybackError`` (no device, unreadable file, silent stream); what was playing
        then keeps playing.
        """
        decoder = open_decoder(track.location, self.open_timeout_s)
        try:
            playing = _Playing(self, track, decoder, next_track)
            playing.stream = self._open_stream(playing)
        except BaseException:
            decoder.close()
            raise
        with self._lock:
            self._finish_current(replaced_by=track)
            self._current = playing
            self._next_track = next_track
            self._history.append(track)
            playing.feeder.start()
            playing.stream.start()

    def _open_stream(self, playing: _Playing):
        try:
            import sounddevice as sd
        except OSError as exc:
            log.warning("PortAudio is not installed: %s", exc)
            raise PlaybackError(
                "there is no sound output device I can use (PortAudio is not installed)"
            ) from None
        try:
            sd.query_devices(self.device, kind="output")
            return sd.OutputStream(
                samplerate=playing.decoder.samplerate,
                channels=playing.decoder.channels,
                dtype="float32",
                device=self.device,
                latency=0.1,  # 100 ms: no underruns on a busy 2-core machine; pause aborts anyway
                callback=playing.callback,
                finished_callback=playing.finished,
            )
        except (sd.PortAudioError, ValueError) as exc:
            log.warning("no output device: %s", exc)
            raise PlaybackError("there is no sound output device I can use") from None

    def _finish_current(self, completed: bool = False, replaced_by: PlayableTrack | None = None) -> None:
        """End the current track; a "play" when it ran to the end, a "skip" when another track
        replaced it early (stopping, or playing the same one again, is neither)."""
        playing, self._current = self._current, None
        if playing is None:
            return
        playing.close()
        listened = playing.position_s
        skipped = replaced_by is not None and replaced_by.id != playing.track.id and listened < SKIP_WINDOW_S
        kind = "play" if completed or playing.completed else ("skip" if skipped else "")
        if kind and playing.track.owner:
            self._listens.append(Listen(playing.track.owner, playing.track.id, kind, listened, time.time()))

    def pause(self) -> bool:
        """Pause the current track; False when nothing was playing."""
        with self._lock:
            playing = self._current
            if playing is None or playing.paused:
                return False
            playing.paused = True
            playing.stream.abort()  # drops PortAudio's buffer: silent at once
            return True

    def resume(self) -> bool:
        """Resume the paused track; False when nothing was paused."""
        with self._lock:
            playing = self._current
            if playing is None or not playing.paused:
                return False
            playing.paused = False
            playing.stream.start()
            return True

    def stop(self) -> bool:
        """Stop the current track; False when nothing was playing."""
        with self._lock:
            was = self._current is not None
            self._finish_current()
            return was

    def next(self) -> PlayableTrack | None:
        """The next track from the ``next_track`` callback, playing; None when there is none."""
        with self._lock:
            current, pick = self._current, self._next_track
        if current is None or pick is None:
            return None
        return self._play_from(pick, current.track)

    def previous(self) -> PlayableTrack | None:
        """Play the track before the current one again, or None when there is none."""
        with self._lock:
            if len(self._history) < 2:
                return None
            track = self._history[-2]
            self._history = self._history[:-2]
            pick = self._next_track
        self.play(track, pick)
        return track

    def again(self) -> PlayableTrack | None:
        """Play the last track again from the start, or None when there is none."""
        with self._lock:
            if not self._history:
                return None
            track, pick = self._history[-1], self._next_track
        self.play(track, pick)
        return track

    def now_playing(self) -> NowPlaying | None:
        """The track playing now with its position and pause state, or None."""
        with self._lock:
            playing = self._current
            return None if playing is None else NowPlaying(playing.track, playing.position_s, playing.paused)

    def first_sample_at(self) -> float | None:
        """perf_counter time the current track's first sample reaches the output (PortAudio's
        estimate of when the device plays it)."""
        with self._lock:
            return None if self._current is None else self._current.first_sample_at

    def take_listens(self) -> list[Listen]:
        """The listens finished since the last call (the player forgets them)."""
        with self._lock:
            listens, self._listens = self._listens, []
            return listens

    def close(self) -> None:
        """Stop playing and end the player's worker thread."""
        self.stop()
        self._events.put(None)

    # --- the end of a track ---------------------------------------------------------------------
    def _play_from(self, pick: NextTrack, after: PlayableTrack) -> PlayableTrack | None:
        """Ask ``pick`` for tracks after ``after`` until one plays (a bad file is passed over)."""
        for _ in range(5):
            try:
                track = pick(after)
            except Exception:
                log.exception("choosing the next track failed")
                return None
            if track is None:
                return None
            try:
                self.play(track, pick)
                return track
            except PlaybackError as exc:
                log.warning("skipping %s: %s", track.location, exc)
                after = track
        return None

    def _run(self) -> None:
        while True:
            ended = self._events.get()
            if ended is None:
                return
            with self._lock:
                if ended is not self._current:
                    continue  # replaced meanwhile
                self._finish_current(completed=True)
                pick = ended.next_track
            if pick is not None:
                self._play_from(pick, ended.track)


_DEFAULT: AudioPlayer | None = None
_DEFAULT_LOCK = threading.Lock()


def default_player() -> AudioPlayer:
    """The process's player: one output device, one track at a time (created on first use)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = AudioPlayer()
        return _DEFAULT


def current_player() -> AudioPlayer | None:
    """The process's player if anything has used it (so a turn never opens a device for nothing)."""
    return _DEFAULT


@contextlib.contextmanager
def ducking() -> Iterator[None]:
    """Duck whatever plays while the assistant speaks (a no-op when nothing has played)."""
    player = current_player()
    if player is None:
        yield
        return
    with player.ducked():
        yield
