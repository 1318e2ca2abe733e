"""The example app in a real browser (Debian's Chromium, headless, driven by Selenium): a person
uploads a video, searches, asks a question and watches the answer arrive."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from examples.fastapi_app.app import create_app
from memories_async.emulator import ServerThread

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
RACE = "VI606099815446712320"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="chromium and chromedriver are not installed (CI installs Debian's chromium and "
    "chromium-driver)",
)


@pytest.fixture
def app_url() -> Iterator[str]:
    server = ServerThread(create_app())  # its own emulator: no key, no network
    yield server.start()
    server.stop()


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not look for downloads
    options = Options()
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1200,1400",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def test_a_person_uploads_searches_and_watches_the_answer_arrive(
    app_url: str, browser: object, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    driver: object = browser
    wait = WebDriverWait(driver, 30)  # type: ignore[arg-type]
    clip = tmp_path / "beach_sunset_surfers.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypisom" + os.urandom(40_000))

    driver.get(app_url)  # type: ignore[attr-defined]
    wait.until(seen.presence_of_element_located((By.CSS_SELECTOR, "#videos label")))

    driver.find_element(By.ID, "file").send_keys(str(clip))  # type: ignore[attr-defined]
    driver.find_element(By.ID, "send").click()  # type: ignore[attr-defined]
    wait.until(seen.text_to_be_present_in_element((By.ID, "uploaded"), "uploaded"))
    progress = driver.find_element(By.ID, "progress").get_attribute("value")  # type: ignore[attr-defined]
    assert float(progress) == 100.0
    wait.until(seen.text_to_be_present_in_element((By.ID, "videos"), "beach_sunset_surfers"))

    driver.find_element(By.ID, "query").send_keys("400m final race")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "search").click()  # type: ignore[attr-defined]
    wait.until(seen.text_to_be_present_in_element((By.ID, "results"), "mens_400m_final"))

    for box in driver.find_elements(By.CSS_SELECTOR, "#videos input"):  # type: ignore[attr-defined]
        if (box.get_attribute("value") == RACE) != box.is_selected():
            box.click()
    driver.find_element(By.ID, "question").send_keys("Who wins the 400m final?")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "ask").click()  # type: ignore[attr-defined]
    wait.until(seen.text_to_be_present_in_element((By.ID, "status"), "done"))

    answer = driver.find_element(By.ID, "answer").text  # type: ignore[attr-defined]
    assert "400m" in answer or "final" in answer, answer
    steps = driver.find_elements(By.CSS_SELECTOR, "#thinking .step")  # type: ignore[attr-defined]
    assert steps and all(float(s.value_of_css_property("opacity")) < 1 for s in steps)
    links = driver.find_elements(By.CSS_SELECTOR, "#refs a.ref")  # type: ignore[attr-defined]
    assert links, "no reference links"
    assert all(re.fullmatch(r"\d+:\d\d(-\d+:\d\d)?", link.text) for link in links)
    assert all(f"/videos/{RACE}/transcript#t=" in link.get_attribute("href") for link in links)

    shot = tmp_path / "answer.png"
    driver.save_screenshot(str(shot))  # type: ignore[attr-defined]
    assert shot.stat().st_size > 10_000
