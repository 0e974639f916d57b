"""The user's music library: real tagged files in every supported format, scanned into the
history database; bad input reported and passed over; rescans incremental; the skill plays and
names library tracks first."""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from skills.music.library import library_db, library_tracks, read_tags, scan
from testkit.music_files import make_track, write_audio

pytestmark = pytest.mark.timeout(120)


def long_wav_header(path: Path, hours: float = 10.0) -> Path:
    """A WAV whose header announces ``hours`` of 8 kHz 8-bit audio (the data itself is short)."""
    data_bytes = int(hours * 3600 * 8000)
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8)
    header += b"data" + struct.pack("<I", data_bytes)
    path.write_bytes(header + bytes([128]) * 8000)
    return path


@pytest.fixture(scope="module")
def music(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("Music")
    make_track(root / "Nina Velvet" / "01.flac", 1.0, title="Blue Hour Reverie", artist="Nina Velvet",
               album="Night Songs", genre="Jazz", date="2019", tracknumber="1")  # fmt: skip
    make_track(root / "Nina Velvet" / "02.ogg", 1.0, title="Smoky Room", artist="Nina Velvet",
               album="Night Songs", genre="Jazz", date="2019-05-01", tracknumber="2/9")  # fmt: skip
    make_track(root / "Gravel" / "03.mp3", 1.0, title="Thunder Road Trip", artist="The Gravel Kings",
               album="Loud", genre="Rock", date="2001", tracknumber="3")  # fmt: skip
    make_track(root / "Gravel" / "04.m4a", 1.0, title="Engine Heart", artist="The Gravel Kings",
               album="Loud", genre="Rock", date="2001", tracknumber="4")  # fmt: skip
    make_track(root / "Other" / "05.opus", 1.0, title="Opus Dawn", artist="Ada Lux", genre="Electronic")
    make_track(root / "Other" / "06.wav", 1.0, title="Wave Tagged", artist="Wav Person", genre="Ambient")
    write_audio(root / "Other" / "no tags here.wav", 1.0)
    (root / "Bad").mkdir()
    (root / "Bad" / "empty.mp3").write_bytes(b"")
    (root / "Bad" / "corrupt.flac").write_bytes(b"fLaC" + b"\x00garbage" * 50)
    truncated = make_track(root / "Bad" / "truncated.flac", 1.0, title="Half", artist="Cut")
    truncated.write_bytes(truncated.read_bytes()[:200])
    long_wav_header(root / "Bad" / "ten hours.wav")
    (root / "Bad" / "notes.txt").write_text("not audio")
    (root / "Other" / "loop").symlink_to(root, target_is_directory=True)  # a symlink loop
    return root


def test_tags_from_every_format(music):
    got = {Path(p).name: read_tags(str(p)) for p in sorted(music.rglob("0*.*"))}
    assert got["01.flac"] == {
        "title": "Blue Hour Reverie", "artist": "Nina Velvet", "album": "Night Songs", "genre": "Jazz",
        "year": 2019, "duration": 1.0, "track_number": 1,
    }  # fmt: skip
    assert got["02.ogg"]["year"] == 2019 and got["02.ogg"]["track_number"] == 2
    assert got["03.mp3"]["artist"] == "The Gravel Kings" and got["03.mp3"]["track_number"] == 3
    assert got["04.m4a"]["title"] == "Engine Heart" and got["04.m4a"]["track_number"] == 4
    assert got["05.opus"]["genre"] == "Electronic" and got["06.wav"]["title"] == "Wave Tagged"
    assert all(0.9 < t["duration"] < 1.2 for t in got.values())


def test_scan_stores_tracks_reports_bad_files_and_survives_a_reopen(music, tmp_path):
    db = library_db(tmp_path / "history.db")
    report = scan([music], db, progress=False)
    # Each real file once, though the loop reaches every folder again.
    assert report.files == 11 and report.read == 11 and report.unchanged == 0
    problems = "\n".join(report.problems)
    assert "empty.mp3: empty file" in problems and "corrupt.flac: not a readable audio file" in problems
    assert "truncated.flac" in problems
    assert "notes.txt" not in problems
    db.close()
    tracks = {t.title: t for t in library_tracks(library_db(tmp_path / "history.db"))}
    assert set(tracks) == {
        "Blue Hour Reverie", "Smoky Room", "Thunder Road Trip", "Engine Heart", "Opus Dawn",
        "Wave Tagged", "no tags here", "ten hours",
    }  # fmt: skip
    blue = tracks["Blue Hour Reverie"]
    assert blue.source == "lib" and blue.genres == ("jazz",) and blue.path.endswith("01.flac")
    assert blue.id.startswith("lib:") and blue.album == "Night Songs" and blue.year == 2019
    assert tracks["no tags here"].artist == "Unknown artist"
    assert tracks["ten hours"].duration == pytest.approx(36000.0)


def test_rescan_reads_only_what_changed(music, tmp_path):
    db = library_db(tmp_path / "history.db")
    scan([music], db, progress=False)
    again = scan([music], db, progress=False)
    assert again.read == 0 and again.unchanged == 11 and again.removed == 0
    extra = make_track(music / "Other" / "07.flac", 0.5, title="Late Addition", artist="Ada Lux")
    os.utime(music / "Nina Velvet" / "01.flac", (1_700_000_000, 1_700_000_000))
    changed = scan([music], db, progress=False)
    assert changed.read == 2 and changed.files == 12
    extra.unlink()
    gone = scan([music], db, progress=False)
    assert gone.removed == 1 and "Late Addition" not in {t.title for t in library_tracks(db)}


def test_missing_and_unreadable_folders_are_reported_and_the_scan_goes_on(music, tmp_path):
    db = library_db(tmp_path / "history.db")
    locked = tmp_path / "locked"
    locked.mkdir()
    make_track(locked / "x.flac", 0.5, title="Hidden")
    locked.chmod(0)
    try:
        report = scan([tmp_path / "no-such-folder", locked, music], db, progress=False)
    finally:
        locked.chmod(0o755)
    assert "no-such-folder: not found" in "\n".join(report.problems)
    if os.geteuid() != 0:  # root reads any folder
        assert "locked: cannot be read" in "\n".join(report.problems)
    assert "Blue Hour Reverie" in {t.title for t in library_tracks(db)}


def test_cli_scans_the_configured_folders(music, assistant_home, capsys):
    from assistant.cli import main

    assistant_home.mkdir(parents=True, exist_ok=True)
    (assistant_home / "config.toml").write_text(f'[music]\nlibrary = ["{music}"]\n')
    assert main(["library", "scan"]) == 0
    out = capsys.readouterr().out
    assert "11 audio files (8 playable): 11 read" in out and "empty.mp3" in out
    assert main(["library", "scan"]) == 0
    assert "11 unchanged" in capsys.readouterr().out
    assert main(["library", "list"]) == 0
    assert "Nina Velvet" in capsys.readouterr().out


@pytest.mark.artifacts
def test_skill_finds_library_tracks_first_and_plays_only_real_audio(music, assistant_home):
    """Through the music skill with the built catalog: named, by artist, "my" genre; with no
    sound device the reply never says "Playing"."""
    import random

    from assistant.skill_sdk.api import SkillRequest, UserProfile
    from skills.music import load_skill

    skill = load_skill({"library": [str(music)], "playback": False})

    def ask(text: str, **slots: str):
        profile = UserProfile(user="ana", domain="music")
        request = SkillRequest("play_music", slots, profile, rng=random.Random(1), text=text)
        return skill.handle(request)

    named = ask("play smoky room", song="smoky room")
    assert named.items[0].title == "Smoky Room" and named.items[0].id.startswith("lib:")
    assert "Playing" not in named.text and "playback is off" in named.text
    by_artist = ask("play something by the gravel kings", artist="the gravel kings")
    assert by_artist.items[0].subtitle == "The Gravel Kings"
    mine = ask("play my rock", genre="rock")
    assert mine.items[0].meta["path"] and "rock" in mine.items[0].meta["genres"]
    catalog = ask("play some jazz", genre="jazz")
    assert "Playing" not in catalog.text


@pytest.mark.artifacts
def test_no_sound_device_is_said_and_nothing_claims_to_play(music, assistant_home):
    import random

    from assistant.playback.player import AudioPlayer
    from assistant.skill_sdk.api import SkillRequest, UserProfile
    from skills.music import SPEC, load_skill
    from skills.music.playback import MusicPlayback

    skill = load_skill({"library": [str(music)], "playback": False})
    playback = MusicPlayback(
        skill.recommender, SPEC.describe, player=lambda: AudioPlayer(device="no such device")
    )
    request = SkillRequest(
        "play_music", {"song": "blue hour reverie"}, UserProfile("ana", "music"), rng=random.Random(0),
        text="play blue hour reverie",
    )  # fmt: skip
    result = playback.recommend(request)
    assert result.items[0].title == "Blue Hour Reverie"
    assert result.text == "I can't play it (there is no sound output device I can use), but here's"
    assert playback.control(SkillRequest("play_music", {}, request.profile, text="pause")).text == (
        "Nothing is playing right now."
    )


@pytest.mark.artifacts
@pytest.mark.audio
@pytest.mark.timeout(180)
def test_through_the_pipeline_play_pause_skip_radio_and_listens_stored(nlu, tmp_path, assistant_home):
    """The real NLU, dialogue, music skill, player and store, into the PulseAudio null sink."""
    from assistant.app import open_store
    from assistant.config import Settings
    from assistant.pipeline.runner import Pipeline
    from assistant.playback.player import current_player
    from assistant.skill_sdk.plugins import SkillRegistry
    from assistant.voice.audio import refresh_devices
    from testkit.audio_stack import VirtualAudio, missing_tools

    if missing_tools():
        pytest.skip(f"missing {missing_tools()}")
    folder = tmp_path / "Radio"
    for n, title in enumerate(("Cobalt Lanterns", "Marigold Static", "Velvet Causeway")):
        make_track(folder / f"{n}.flac", 1.5, 400 + 100 * n, title=title, artist="Radio Band", genre="Jazz")
    assistant_home.mkdir(parents=True, exist_ok=True)
    settings = Settings(skills={"music": {"library": [str(folder)]}})
    with VirtualAudio() as sound:
        refresh_devices()
        registry = SkillRegistry.discover(settings.skills)
        pipeline = Pipeline(nlu, open_store(assistant_home), assistant_home, registry, settings)
        session = pipeline.start_session("ana", seed=3)
        try:
            played = pipeline.run_turn(session, text="play cobalt lanterns")
            assert played.response.startswith("Playing Cobalt Lanterns by Radio Band.")
            recording = sound.record_speaker()
            paused = pipeline.run_turn(session, text="pause")
            assert paused.response == "Paused." and current_player().now_playing().paused
            assert pipeline.run_turn(session, text="resume").response == "Resuming."
            # The radio: each track ends and the next comes from the recommender, none twice.
            deadline, quiet_since = time.monotonic() + 20, None
            while time.monotonic() < deadline:  # until nothing has played for a second
                if current_player().now_playing() is not None:
                    quiet_since = None
                elif quiet_since is None:
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since > 1.0:
                    break
                time.sleep(0.05)
            assert np.abs(recording.stop()).max() > 0.05
            assert (
                pipeline.run_turn(session, text="what's playing").response == "Nothing is playing right now."
            )
        finally:
            pipeline.end_session(session)
            refresh_devices()
    plays = [(r["item_id"], r["kind"]) for r in pipeline.store.feedback("ana") if r["kind"] == "play"]
    assert len(plays) == 3 and len({i for i, _ in plays}) == 3  # every track once, each a full listen
    pipeline.store.close()
