"""The audio player on real files through the PulseAudio null sink: sound while playing, silence
while paused or stopped, real gain, the next track from a callback, listens as feedback."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assistant.playback.player import AudioPlayer, PlayableTrack, PlaybackError, open_decoder
from testkit.audio_stack import VirtualAudio, missing_tools
from testkit.music_files import write_audio

pytestmark = pytest.mark.timeout(120)


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(audio**2))) if len(audio) else 0.0


@pytest.fixture(scope="module")
def sound():
    if missing_tools():
        pytest.skip(f"missing {missing_tools()}")
    from assistant.voice.audio import refresh_devices

    with VirtualAudio() as audio:
        refresh_devices()
        # A silent stream keeps the null sink running, so its monitor records a continuous
        # timeline (an idle null sink sends nothing, and silence could not be told from a gap).
        silence = audio.root / "silence.wav"
        sf.write(str(silence), np.zeros(16000 * 120, np.float32), 16000)
        keep = subprocess.Popen(["paplay", "--device=speaker", str(silence)], env=audio._env())
        time.sleep(0.3)
        yield audio
        keep.kill()
        keep.wait()
    refresh_devices()


def heard(sound: VirtualAudio, seconds: float) -> np.ndarray:
    """What the speaker sink played for ``seconds``, from once the recorder is delivering."""
    recording = sound.record_speaker()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and (
        not recording.path.exists() or recording.path.stat().st_size < 3200
    ):
        time.sleep(0.02)  # parec takes a moment to connect on a busy machine
    skip = recording.path.stat().st_size // 2 if recording.path.exists() else 0
    time.sleep(seconds)
    return recording.stop()[skip:][: int(16000 * seconds)]


@pytest.fixture(scope="module")
def tones(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tones")
    return {
        "long": write_audio(folder / "long.flac", 30.0, 440.0),
        "short_a": write_audio(folder / "a.ogg", 0.6, 500.0),
        "short_b": write_audio(folder / "b.wav", 0.6, 600.0),
        "m4a": write_audio(folder / "c.m4a", 10.0, 700.0),
    }


def track(path: Path, track_id: str | None = None) -> PlayableTrack:
    return PlayableTrack(track_id or path.stem, path.stem, str(path), owner="music")


@pytest.mark.audio
def test_sound_while_playing_silence_within_100_ms_of_pause_and_stop(sound, tones):
    player = AudioPlayer()
    try:
        player.play(track(tones["long"]))
        time.sleep(0.4)
        assert rms(heard(sound, 0.6)) > 0.05  # 0.5 amplitude at level 0.5 -> gain 0.25
        started = time.perf_counter()
        assert player.pause()
        assert time.perf_counter() - started < 0.1  # the call itself
        time.sleep(0.1)  # and the sink is silent 100 ms later
        paused = heard(sound, 0.6)
        assert len(paused) > 4000 and rms(paused) < 0.005
        position = player.now_playing().position_s
        assert player.now_playing().paused
        assert player.resume()
        time.sleep(0.3)
        assert rms(heard(sound, 0.6)) > 0.05
        assert player.now_playing().position_s > position
        started = time.perf_counter()
        assert player.stop()
        assert time.perf_counter() - started < 0.1
        time.sleep(0.1)
        assert rms(heard(sound, 0.5)) < 0.005
        assert player.now_playing() is None
        assert player.take_listens() == []  # stopping is not a skip
    finally:
        player.close()


@pytest.mark.audio
def test_volume_is_real_gain_and_ducking_lowers_it(sound, tones):
    player = AudioPlayer()
    try:
        player.set_volume(1.0)
        player.play(track(tones["long"]))
        time.sleep(0.4)
        loud = rms(heard(sound, 0.5))
        player.set_volume(0.5)
        time.sleep(0.3)
        half = rms(heard(sound, 0.5))
        with player.ducked():
            time.sleep(0.3)
            ducked = rms(heard(sound, 0.5))
        player.mute()
        time.sleep(0.3)
        muted = rms(heard(sound, 0.5))
    finally:
        player.close()
    assert loud > 0.2
    assert half == pytest.approx(loud * 0.25, rel=0.3)  # level squared
    assert ducked == pytest.approx(half * 0.25, rel=0.3)
    assert muted < 0.005


@pytest.mark.audio
def test_end_of_track_brings_the_next_one_and_listens_are_recorded(sound, tones):
    asked: list[str] = []
    queue = [track(tones["short_b"])]

    def next_track(after: PlayableTrack) -> PlayableTrack | None:
        asked.append(after.id)
        return queue.pop(0) if queue else None

    player = AudioPlayer()
    try:
        player.play(track(tones["short_a"]), next_track=next_track)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (len(asked) < 2 or player.now_playing() is not None):
            time.sleep(0.05)
        listens = player.take_listens()
    finally:
        player.close()
    assert asked == ["a", "b"]  # asked after each track, with the one that ended
    assert [(x.track_id, x.kind) for x in listens] == [("a", "play"), ("b", "play")]
    assert all(x.owner == "music" for x in listens)


@pytest.mark.audio
def test_replacing_a_track_early_is_a_skip_and_m4a_plays_through_ffmpeg(sound, tones):
    player = AudioPlayer()
    try:
        player.play(track(tones["long"]))
        time.sleep(0.3)
        player.play(track(tones["m4a"]))
        time.sleep(0.4)
        assert rms(heard(sound, 0.5)) > 0.05
        assert player.now_playing().track.id == "c"
        assert player.previous().id == "long"  # back to the first
        listens = player.take_listens()
    finally:
        player.close()
    assert [(x.track_id, x.kind) for x in listens] == [("long", "skip"), ("c", "skip")]


def test_unplayable_input_is_named(tmp_path):
    empty = tmp_path / "empty.flac"
    empty.write_bytes(b"")
    corrupt = tmp_path / "corrupt.ogg"
    corrupt.write_bytes(b"OggS" + bytes(range(256)) * 4)
    with pytest.raises(PlaybackError, match="empty"):
        open_decoder(str(empty))
    with pytest.raises(PlaybackError, match="cannot be read"):
        open_decoder(str(tmp_path / "missing.mp3"))
    with pytest.raises(PlaybackError, match="could not be decoded|no audio"):
        open_decoder(str(corrupt), timeout_s=5)


def test_no_output_device_is_reported_and_nothing_plays(tmp_path):
    player = AudioPlayer(device="no such output device")
    try:
        with pytest.raises(PlaybackError, match="no sound output device"):
            player.play(track(write_audio(tmp_path / "t.wav", 0.5)))
        assert player.now_playing() is None
    finally:
        player.close()


def test_a_stream_that_never_answers_times_out(tmp_path):
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)  # accepts the connection, never answers
    try:
        started = time.monotonic()
        with pytest.raises(PlaybackError, match="sent no audio"):
            open_decoder(f"http://127.0.0.1:{server.getsockname()[1]}/track.mp3", timeout_s=1.0)
        assert time.monotonic() - started < 5
    finally:
        server.close()


@pytest.mark.audio
def test_streaming_over_http_plays_and_a_dead_link_is_named(sound, tmp_path):
    import functools
    import http.server

    write_audio(tmp_path / "stream.mp3", 8.0, 520.0)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    player = AudioPlayer(open_timeout_s=3)
    try:
        player.play(PlayableTrack("s", "streamed", f"{base}/stream.mp3", owner="music"))
        time.sleep(0.4)
        assert rms(heard(sound, 0.5)) > 0.05
        with pytest.raises(PlaybackError, match="could not be decoded"):
            player.play(PlayableTrack("x", "gone", f"{base}/gone.mp3", owner="music"))
        assert player.now_playing().track.id == "s"  # a failed start leaves the music playing
    finally:
        player.close()
        server.shutdown()
        server.server_close()
