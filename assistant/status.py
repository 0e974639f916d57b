"""``assistant status``: what is built and what is missing, which models are in use, which online
features are on and whether their services answer, the sound devices, each skill's own facts (the
music library's size) and the data directory. The first thing a person runs when something
seems wrong, so it never fails on what it finds: a missing model is a line of the report, and
the exit status is 0.

The core names no skill: each skill tells its artifacts, facts and online features through its
declared ``SkillSpec.status`` (assistant/skill_sdk/status.py). The services are checked here,
all at once on daemon threads with a short timeout, so the report takes about that long at most
(a name lookup that hangs is not waited for).

``first_start_greeting`` says the same things in two sentences the first time a person starts
the assistant with a new data directory.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.artifacts import artifact_dir, artifacts_root
from assistant.config import CONFIG_FILE, Settings, network_off_reason
from assistant.skill_sdk.api import SkillSpec
from assistant.skill_sdk.phrasing import join_words
from assistant.skill_sdk.status import PROBE_TIMEOUT_S, SkillStatus, answers

# The artifacts the core itself loads, with what each is for.
CORE_ARTIFACTS = {
    "nlu": "the request classifier",
    "nlu-onnx": "the request classifier as the assistant runs it (ONNX)",
    "vocabulary": "the names the classifier knows",
    "whisper-requests": "speech to text (tiny.en-requests)",
    "whisper": "speech to text with the openai-whisper engine",
    "llm": "the language model's weights",
    "voice": "the Piper voice's files, checked by sha256",
}
GREETED_FILE = "greeted"  # in the data directory: the first start's greeting has been shown
SECTIONS = ("data_dir", "artifacts", "models", "online", "audio", "skills")


# --- what is built ---------------------------------------------------------------------------
def _size(path: Path) -> int:
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += (Path(folder) / name).stat().st_size
            except OSError:
                pass
    return total


def human_size(size: int) -> str:
    """1536 -> "1.5 KB"."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def artifact_state(name: str) -> dict[str, Any]:
    """One artifact folder: "built" (its stamp is written last), "incomplete" or "missing"."""
    folder = artifact_dir(name)
    if (folder / "stamp.json").is_file():
        state = "built"
    else:
        state = "incomplete" if folder.is_dir() else "missing"
    size = _size(folder) if folder.is_dir() else 0
    return {"name": name, "state": state, "size_bytes": size, "size": human_size(size), "path": str(folder)}


def _speech_model(settings: Settings) -> dict[str, Any]:
    from assistant.artifacts import ArtifactMissingError
    from assistant.voice.whisper_checkpoints import ADAPTED, checkpoint_path, ct2_folder

    wanted, engine = settings.stt_model, settings.stt_engine
    serving, problem = wanted, ""
    try:
        if engine == "faster-whisper":
            try:
                ct2_folder(wanted)
            except ArtifactMissingError as exc:
                if wanted != ADAPTED:
                    raise
                serving, problem = "tiny.en", f"{exc}; using tiny.en"  # as the voice loop does
                ct2_folder(serving)
        else:
            checkpoint_path(wanted, verify=False)
    except (ArtifactMissingError, ValueError) as exc:
        return {"model": wanted, "engine": engine, "serving": None, "state": "missing", "detail": str(exc)}
    return {"model": wanted, "engine": engine, "serving": serving, "state": "built", "detail": problem}


def _language_model(settings: Settings, home: Path | None = None) -> dict[str, Any]:
    from assistant.llm.loader import llm_wanted
    from assistant.llm.slot_cache import cache_dir
    from assistant.llm.weights import MODELS, model_path

    name = settings.llm_model
    if name not in MODELS:
        return {"model": name, "state": "unknown model", "detail": f"choose one of {', '.join(MODELS)}"}
    path = model_path(name)
    built = path.is_file()
    state = ("on" if built else "missing") if llm_wanted(settings) else "off"
    # The system prompts read once and kept across starts (assistant/llm/slot_cache.py).
    kept = (
        list(cache_dir(home).glob("*.bin")) if home is not None else []
    )  # none when the folder is not there
    cached = {"files": len(kept), "mb": round(sum(f.stat().st_size for f in kept) / 2**20, 1)}
    return {"model": name, "state": state, "path": str(path), "built": built, "prompt_cache": cached}


def _voice(settings: Settings) -> dict[str, Any]:
    """The configured voice, whether it can speak, and which voice speaks when it cannot."""
    from assistant.voice.tts import ESPEAK_VOICE, voice_missing

    name = settings.tts_voice
    missing = voice_missing(name)
    fallback = ESPEAK_VOICE if missing and name != ESPEAK_VOICE and not voice_missing(ESPEAK_VOICE) else None
    return {
        "voice": name,
        "engine": "espeak-ng" if name == ESPEAK_VOICE else "piper",
        "enabled": settings.tts_enabled,
        "state": "missing" if missing else "found",
        "detail": missing or "",
        "speaks_instead": fallback,
    }


def models(settings: Settings, home: Path | None = None) -> dict[str, Any]:
    """The speech, voice, wake word and language models the settings choose, and whether each
    is there (with ``home``, the language model's prompts kept there across starts)."""
    wake_found = importlib.util.find_spec("pymicro_wakeword") is not None
    return {
        "speech": _speech_model(settings),
        "voice": _voice(settings),
        "wake_word": {"word": settings.wake_word, "state": "found" if wake_found else "missing"},
        "llm": _language_model(settings, home),
    }


def audio_devices() -> dict[str, Any]:
    """The sound devices found (``assistant.voice.audio``), or why none could be listed."""
    from assistant.contracts.errors import AudioError
    from assistant.voice.audio import list_devices

    try:
        return {**list_devices(), "detail": ""}
    except AudioError as exc:
        return {"input": [], "output": [], "detail": str(exc)}


# --- the skills' own reports -----------------------------------------------------------------
def skill_reports(specs: Iterable[SkillSpec], settings: Settings) -> dict[str, SkillStatus | str]:
    """Each skill's ``SkillStatus`` (or why it could not tell), by skill name."""
    found: dict[str, SkillStatus | str] = {}
    for spec in specs:
        if spec.status is None:
            continue
        try:
            found[spec.name] = spec.status(settings.skill_settings(spec.name))
        except Exception as exc:  # a plugin's report that fails is a line of the report
            found[spec.name] = f"{type(exc).__name__}: {exc}"
    return found


def check_services(urls: Iterable[str], timeout: float = PROBE_TIMEOUT_S) -> dict[str, str]:
    """URL -> "" when it answers within ``timeout``, else why not; all checked at once."""
    results: dict[str, str] = {}
    pending = list(dict.fromkeys(urls))

    def check(url: str) -> None:
        results[url] = answers(url, timeout)

    threads = [threading.Thread(target=check, args=(u,), name="status-probe", daemon=True) for u in pending]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout + 0.5
    for thread in threads:  # a name lookup can outlast the socket timeout: not waited for
        thread.join(max(0.0, deadline - time.monotonic()))
    return {url: results.get(url, f"no answer within {timeout:g} s") for url in pending}


def online(
    reports: dict[str, SkillStatus | str], settings: Settings, timeout: float | None
) -> dict[str, Any]:
    """The online features: on or off (and why), and with ``timeout`` whether each service answers."""
    off = network_off_reason(settings)
    features = [
        (name, feature) for name, report in reports.items() if isinstance(report, SkillStatus)
        for feature in report.online
    ]  # fmt: skip
    urls = [u for _, f in features if f.on and not off for u in f.urls]
    checked = check_services(urls, timeout) if timeout is not None and urls else {}
    rows = []
    for skill, feature in features:
        state, why = (
            ("off", off) if off else ("on", "") if feature.on else ("off", "switched off in its setting")
        )
        services = [
            {"url": url, "answers": checked[url] == "", "detail": checked[url]}
            for url in feature.urls
            if url in checked
        ]
        rows.append(
            {"skill": skill, "name": feature.name, "setting": feature.setting, "state": state, "why": why,
             "services": services}
        )  # fmt: skip
    return {"network": "off" if off else "on", "why": off, "features": rows}


# --- the report ------------------------------------------------------------------------------
def collect(
    home: Path, settings: Settings, specs: list[SkillSpec], timeout: float | None = PROBE_TIMEOUT_S
) -> dict[str, Any]:
    """The whole report as plain data (``--json`` prints it); ``timeout`` None checks no service."""
    reports = skill_reports(specs, settings)
    used = {
        "nlu": "core",
        "nlu-onnx": "core",
        "vocabulary": "core",
        "whisper-requests": "core" if settings.stt_model == "tiny.en-requests" else "",
        "whisper": "core" if settings.stt_engine == "openai-whisper" else "",
        "llm": "core",
    }
    if settings.tts_voice != "espeak" and artifact_dir("voice").is_dir():  # listed once setup checked it
        used["voice"] = "core"
    for name, report in reports.items():
        for artifact in report.artifacts if isinstance(report, SkillStatus) else ():
            used.setdefault(artifact, name)
    root = artifacts_root()
    others = (
        sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in used) if root.is_dir() else []
    )
    artifacts = []
    for name in [*used, *others]:
        row = artifact_state(name)
        if name == "llm":  # GGUF files checked against verified.json, no stamp: built is a file there
            from assistant.llm.weights import installed_models

            row["models"] = installed_models()
            row["state"] = "built" if row["models"] else row["state"]
        elif name == "voice":  # the wheel's files, checked in place: verified.json, no stamp
            row["state"] = "built" if (artifact_dir(name) / "verified.json").is_file() else row["state"]
        row["used_by"] = used.get(name) or ""
        row["what"] = CORE_ARTIFACTS.get(name, f"the {used[name]} skill's data" if used.get(name) else "")
        artifacts.append(row)
    skills = {}
    for name, report in reports.items():
        if isinstance(report, SkillStatus):
            skills[name] = {"facts": dict(report.facts), "error": ""}
        else:
            skills[name] = {"facts": {}, "error": report}
    config = home / CONFIG_FILE
    return {
        "data_dir": {
            "path": str(home),
            "config": str(config),
            "config_exists": config.is_file(),
            "warnings": list(settings.warnings),
            "greeted": (home / GREETED_FILE).is_file(),
        },
        "artifacts": artifacts,
        "models": models(settings, home),
        "online": online(reports, settings, timeout),
        "audio": audio_devices(),
        "skills": skills,
    }


def render(report: dict[str, Any]) -> str:
    """The report as text for a person."""
    lines = [f"Data directory: {report['data_dir']['path']}"]
    config = report["data_dir"]
    lines.append(
        f"  config: {config['config']}" + ("" if config["config_exists"] else " (none: the defaults)")
    )
    lines += [f"  warning: {w}" for w in config["warnings"]]
    lines.append(f"\nArtifacts ({artifacts_root()}):")
    for a in report["artifacts"]:
        used = f", used by {a['used_by']}" if a["used_by"] else ", not in use"
        size = f" {a['size']}" if a["state"] != "missing" else ""
        what = f"{a['what']} ({', '.join(a['models'])})" if a.get("models") else a["what"]
        lines.append(f"  {a['name']:<17} {a['state']}{size}{used}" + (f": {what}" if what else ""))
    m = report["models"]
    speech = m["speech"]
    serving = speech["serving"] if speech["serving"] not in (None, speech["model"]) else ""
    lines.append("\nModels:")
    lines.append(
        f"  speech to text: {speech['model']} ({speech['engine']}) {speech['state']}"
        + (f", serving {serving}" if serving else "")
        + (f": {speech['detail']}" if speech["detail"] else "")
    )
    voice = m["voice"]
    instead = f"; {voice['speaks_instead']} speaks instead" if voice["speaks_instead"] else ""
    lines.append(
        f"  voice: {voice['voice']} ({voice['engine']}) {voice['state']}"
        + (f": {voice['detail']}{instead}" if voice["detail"] else "")
        + ("" if voice["enabled"] else " ([tts] off)")
    )
    lines.append(f"  wake word: {m['wake_word']['word']} ({m['wake_word']['state']})")
    llm = m["llm"]
    cache = llm.get("prompt_cache") or {}
    lines.append(
        f"  language model: {llm['model']} {llm['state']}"
        + (f" ({llm['path']})" if llm.get("path") else "")
        + (
            f"; {cache['files']} system prompts kept across starts ({cache['mb']} MB)"
            if cache.get("files")
            else ""
        )
    )
    net = report["online"]
    lines.append(f"\nOnline: network {net['network']}" + (f" ({net['why']})" if net["why"] else ""))
    for f in net["features"]:
        lines.append(f"  {f['name']}: {f['state']} ({f['setting']})" + (f": {f['why']}" if f["why"] else ""))
        for s in f["services"]:
            lines.append(
                f"    {s['url']} " + ("answers" if s["answers"] else f"does not answer ({s['detail']})")
            )
    audio = report["audio"]
    lines.append("\nAudio devices:")
    for kind in ("output", "input"):
        lines.append(f"  {kind}: {', '.join(audio[kind]) or 'none'}")
    if audio["detail"]:
        lines.append(f"  ({audio['detail']})")
    for name, skill in report["skills"].items():
        if skill["facts"] or skill["error"]:
            lines.append(f"\n{name.capitalize()}:")
            lines += [f"  {k}: {v}" for k, v in skill["facts"].items()]
            lines += [f"  could not tell: {skill['error']}"] if skill["error"] else []
    return "\n".join(lines)


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)


# --- the first start -------------------------------------------------------------------------
def first_start_greeting(home: Path, settings: Settings, specs: list[SkillSpec]) -> str | None:
    """Two sentences for the first start with ``home`` (None after): what the assistant can do,
    from the skills' declarations as ``/help`` has it, and what it could not set up. Recorded in
    the data directory, so it is said once."""
    marker = home / GREETED_FILE
    if marker.exists():
        return None
    try:
        marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"), encoding="utf-8")
    except OSError:
        return None  # a data directory it cannot write: greeting at every start would nag
    report = collect(home, settings, specs, timeout=None)
    can = join_words([s.phrasing.description for s in specs if s.phrasing.description])
    example = next((s.phrasing.examples[0] for s in specs if s.phrasing.examples), "")
    first = f"Hello! I can {can}" + (f': try "{example}".' if example else ".")
    gaps = []
    if not report["audio"]["output"]:
        gaps.append("there is no sound device, so nothing is played aloud")
    net = report["online"]
    if net["network"] == "off":
        names = join_words([f["name"] for f in net["features"]])
        gaps.append(f"I'm offline ({net['why']})" + (f", so {names} are off" if names else ""))
    missing = [a["name"] for a in report["artifacts"] if a["used_by"] and a["state"] != "built"]
    if report["models"]["llm"]["state"] != "missing":  # the language model is a note of its own
        missing = [n for n in missing if n != "llm"]
    if missing:
        gaps.append(
            f"{join_words(missing)} {'is' if len(missing) == 1 else 'are'} not built (./setup.sh --only)"
        )
    second = f"Not set up: {'; '.join(gaps)}." if gaps else "Everything is set up."
    return f"{first} {second} /help for more, `assistant status` for the details."
