"""``assistant status`` as a person runs it: a subprocess with a fresh data directory. Every
section is there, nothing found missing makes it fail, and the online features' services are
checked against a local HTTP server standing in for Open-Meteo, archive.org and the news feeds
(up: "answers"; down: "does not answer"). No test reaches the internet."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.status import SECTIONS
from testkit.local_http import closed_port, local_server

REPO_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)


class _Answers(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b"<rss><channel><title>t</title></channel></rss>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    with local_server(_Answers) as base:
        yield base


def local_services(home: Path, base: str) -> None:
    """config.toml pointing every online feature at ``base``."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'[skills.weather]\nforecast_url = "{base}/v1/forecast"\ngeocoding_url = "{base}/v1/search"\n'
        f'[skills.music]\narchive_url = "{base}"\n'
        f'[skills.news]\nfeeds = ["{base}/world.rss"]\n'
    )


def status(home: Path, *args: str, offline: bool = True, **env: str) -> tuple[int, str, str]:
    environ = {**os.environ, "ASSISTANT_HOME": str(home), **env}
    if not offline:
        environ.pop("ASSISTANT_OFFLINE", None)
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "run_assistant.py"), "status", *args],
        capture_output=True,
        env=environ,
        timeout=90,
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def features(report: dict) -> dict[str, dict]:
    return {f["name"]: f for f in report["online"]["features"]}


def test_a_fresh_data_directory_gets_every_section(tmp_path):
    home = tmp_path / "home"
    code, out, err = status(home, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert set(SECTIONS) <= set(report)
    assert report["data_dir"]["path"] == str(home) and not report["data_dir"]["config_exists"]
    names = {a["name"]: a for a in report["artifacts"]}
    assert {"nlu", "vocabulary", "llm", "music", "news", "video"} <= set(names)
    assert all(a["state"] in ("built", "incomplete", "missing") for a in names.values())
    assert names["music"]["used_by"] == "music" and names["nlu"]["used_by"] == "core"
    assert {"speech", "voice", "wake_word", "llm"} <= set(report["models"])
    assert report["models"]["speech"]["model"] == "tiny.en"  # stock: tiny.en-requests is opt-in
    voice = report["models"]["voice"]
    assert (voice["voice"], voice["engine"]) == ("joe", "piper")  # the default voice
    assert voice["state"] in ("found", "missing") and bool(voice["detail"]) == (voice["state"] == "missing")
    # tests run with ASSISTANT_OFFLINE=1: every feature off, and no service asked
    assert report["online"]["network"] == "off" and "ASSISTANT_OFFLINE" in report["online"]["why"]
    assert {"live weather", "music streaming", "news feeds"} <= set(features(report))
    assert all(f["state"] == "off" and f["services"] == [] for f in features(report).values())
    assert isinstance(report["audio"]["output"], list) and isinstance(report["audio"]["input"], list)
    assert report["skills"]["music"]["facts"] == {"library folders": "0", "library tracks": "0"}
    assert not report["data_dir"]["greeted"]  # a report is not a first start
    assert report["models"]["llm"]["prompt_cache"] == {"files": 0, "mb": 0.0}


def test_the_language_models_prompts_kept_across_starts_are_counted(tmp_path):
    from assistant.llm.slot_cache import cache_dir

    home = tmp_path / "home"
    cache_dir(home).mkdir(parents=True)
    for n in range(3):
        (cache_dir(home) / f"{n}.bin").write_bytes(b"\0" * 2**20)
    code, out, err = status(home)
    assert code == 0, err
    assert "3 system prompts kept across starts (3.0 MB)" in out


def test_missing_artifacts_are_reported_with_exit_status_zero(tmp_path):
    code, out, err = status(tmp_path / "home", ASSISTANT_ARTIFACTS=str(tmp_path / "nothing-built"))
    assert code == 0, err
    assert "nlu               missing" in out and "music             missing" in out
    assert "Audio devices:" in out and "library tracks: 0" in out


def test_online_services_that_answer_and_that_do_not(tmp_path, server):
    home = tmp_path / "home"
    local_services(home, server)
    code, out, err = status(home, "--json", offline=False)
    assert code == 0, err
    report = json.loads(out)
    assert report["online"]["network"] == "on"
    online = features(report)
    for name in ("live weather", "music streaming", "news feeds"):
        assert online[name]["state"] == "on", online[name]
        assert online[name]["services"] and all(s["answers"] for s in online[name]["services"]), online[name]
        assert all(s["url"].startswith(server) for s in online[name]["services"])

    down = closed_port()
    local_services(home, down)
    code, out, err = status(home, offline=False)
    assert code == 0, err
    assert f"{down}/v1/forecast does not answer" in out
    assert f"{down} does not answer" in out  # the archive
    assert f"{down}/world.rss does not answer" in out


def test_the_network_switch_turns_every_feature_off(tmp_path, server):
    home = tmp_path / "home"
    local_services(home, server)
    with (home / "config.toml").open("a") as f:
        f.write("[network]\nenabled = false\n")
    code, out, err = status(home, "--json", offline=False)
    assert code == 0, err
    report = json.loads(out)
    assert report["online"] == {
        "network": "off",
        "why": "[network] enabled = false",
        "features": report["online"]["features"],
    }
    assert all(f["state"] == "off" and not f["services"] for f in report["online"]["features"])


def test_a_feature_switched_off_in_its_setting_is_off(tmp_path, server):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text("[skills.music]\nstream = false\n[skills.news]\nfeeds = []\n")
    code, out, err = status(home, "--json", "--timeout", "0", offline=False)
    assert code == 0, err
    online = features(json.loads(out))
    assert online["music streaming"]["state"] == "off" and online["news feeds"]["state"] == "off"
    assert online["live weather"]["state"] == "on" and online["live weather"]["services"] == []  # not checked
