"""Screenshots of every household page, desktop and phone width, into docs/web/.

Starts ``assistant web`` on loopback with a fresh data directory (offline, language model off,
a small music library of generated tracks), has a short conversation on the Talk page in
Debian's headless Chromium, scans the library, then saves each page at 1280x900 and 390x844.

    .venv/bin/python tools/web_screenshots.py [--out docs/web]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._waits import start_assistant  # noqa: E402
from testkit.local_http import free_port  # noqa: E402
from testkit.music_files import make_track  # noqa: E402

PAGES = ("now", "talk", "people", "library", "insights", "settings")
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
SAID = ("play some jazz", "i like that", "suggest a comedy film", "something from the nineties", "why?")


def browser(width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or ""), options=options)
    driver.set_page_load_timeout(60)
    return driver


def converse(driver, url: str) -> None:
    """A few turns typed on Talk, as a person would, and a library scan."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 60)
    driver.get(url + "/talk")
    person = wait.until(lambda d: d.find_element(By.NAME, "person"))
    person.clear()
    person.send_keys("alice")
    for n, text in enumerate(SAID, start=1):
        box = wait.until(lambda d: d.find_element(By.ID, "talk-text"))
        box.send_keys(text)
        driver.find_element(By.ID, "talk-send").click()
        wait.until(lambda d, n=n: len(d.find_elements(By.CSS_SELECTOR, "#conversation .reply")) >= n)
    driver.get(url + "/library")
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "form[action$='/library/scan'] button")).click()
    wait.until(lambda d: "scanning" not in d.find_element(By.TAG_NAME, "main").text.lower())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "web")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        home, music = Path(tmp) / "home", Path(tmp) / "Music"
        home.mkdir()
        for n, (title, artist) in enumerate(
            [
                ("Blue Hour Reverie", "The Night Owls"),
                ("Smoky Room", "The Night Owls"),
                ("Engine Heart", "Static"),
            ]
        ):
            make_track(
                music / f"{n + 1:02d} {title}.flac",
                3.0,
                330.0 + 60 * n,
                title=title,
                artist=artist,
                genre="jazz",
            )
        (home / "config.toml").write_text(f'[music]\nlibrary = ["{music}"]\n', encoding="utf-8")
        env = {**os.environ, "ASSISTANT_HOME": str(home), "ASSISTANT_OFFLINE": "1", "ASSISTANT_LLM": "off"}
        port = free_port()
        proc, ready = start_assistant(["web", "--port", str(port)], env, "household page is on", 300)
        try:
            print(ready)
            url = f"http://127.0.0.1:{port}"
            for size, (width, height) in SIZES.items():
                driver = browser(width, height)
                try:
                    if size == "desktop":
                        converse(driver, url)
                    for page in PAGES:
                        driver.get(f"{url}/{page}")
                        time.sleep(0.5)  # htmx swaps the live panels in after load
                        path = args.out / f"{page}-{size}.png"
                        driver.save_screenshot(str(path))
                        print(f"  {path}")
                finally:
                    driver.quit()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
