"""Weather skill latency per request: p50 / p95 over a mix of real questions.

Three paths, all in one run: offline (historical records, the default), live with Open-Meteo
answers replayed from tests/data/fixtures/open_meteo (parsing and wording only: no network time),
and live failing at once (the fallback path). Also prints how long loading the records takes.

    .venv/bin/python bench/weather_latency.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
import urllib.error
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.skill_sdk.api import SkillRequest, UserProfile  # noqa: E402
from skills.weather.live import OpenMeteoProvider  # noqa: E402
from skills.weather.observations import load_records  # noqa: E402
from skills.weather.skill import WeatherSkill  # noqa: E402

FIXTURES = ROOT / "tests" / "data" / "fixtures" / "open_meteo"
TODAY = dt.date(2025, 11, 21)
PLACES = ["", "Seattle", "chicago il", "San Diego", "bombay", "Beijing", "Auckland", "new york city"]
DATES = ["", "today", "tomorrow", "tonight", "this weekend", "monday", "next week", "december 25"]
DESCRIPTORS = ["", "", "umbrella", "jacket", "hot", "fahrenheit"]


def recorded(url: str, timeout: float) -> bytes:
    parsed = urllib.parse.urlparse(url)
    if parsed.netloc.startswith("geocoding"):
        return (FIXTURES / "geocoding_chicago.json").read_bytes()
    return (FIXTURES / "forecast_chicago.json").read_bytes()


def offline_transport(url: str, timeout: float) -> bytes:
    raise urllib.error.URLError(OSError(101, "Network is unreachable"))


def requests(n: int, rng: random.Random) -> list[SkillRequest]:
    out = []
    for _ in range(n):
        slots = {
            k: v
            for k, v in (
                ("place", rng.choice(PLACES)),
                ("date", rng.choice(DATES)),
                ("weather_descriptor", rng.choice(DESCRIPTORS)),
            )
            if v
        }
        prefs = rng.choice([{}, {"home_city": "Chicago"}, {"home_city": "Mumbai", "units": "fahrenheit"}])
        out.append(SkillRequest("weather_query", slots, UserProfile("bench", "weather", preferences=prefs)))
    return out


def time_path(skill: WeatherSkill, batch: list[SkillRequest]) -> list[float]:
    for req in batch[:50]:  # warm-up
        skill.handle(req)
    times = []
    for req in batch:
        start = time.perf_counter()
        skill.handle(req)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    start = time.perf_counter()
    records = load_records()
    load_ms = (time.perf_counter() - start) * 1000
    print(f"records: {len(records)} cities loaded in {load_ms:.0f} ms (once per process)")
    batch = requests(args.requests, random.Random(0))
    paths = {
        "offline (historical)": WeatherSkill(records, None, clock=lambda: TODAY),
        "live (recorded replies)": WeatherSkill(records, OpenMeteoProvider(recorded), clock=lambda: TODAY),
        "live down -> records": WeatherSkill(
            records, OpenMeteoProvider(offline_transport), clock=lambda: TODAY
        ),
    }
    for name, skill in paths.items():
        times = time_path(skill, batch)
        p95 = statistics.quantiles(times, n=100, method="inclusive")[94]
        print(
            f"{name:26s} p50 {statistics.median(times):6.3f} ms  p95 {p95:6.3f} ms  ({len(times)} requests)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
