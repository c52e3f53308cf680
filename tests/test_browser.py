"""A real browser (Debian's Chromium, headless, driven by selenium) walks the main path:
home page → search → a result's entity page → an example SPARQL query. Screenshots go to
test-artifacts/ so a person can look at what users see."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kg.store import prefix_block
from kg.views import open_view
from server_fixture import server  # noqa: F401
from web_fixtures import path_of, published_demo  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists() or not CHROMEDRIVER.exists(),
                       reason="/usr/bin/chromium and /usr/bin/chromedriver are not installed "
                              "(apt-get install chromium chromium-driver)"),
    pytest.mark.skipif(bool(os.environ.get("SCIPOP_TEST_STORE_URL")),
                       reason="the server reads published views of the embedded store, not a remote one"),
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,1000", "--lang=zh-CN"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def shot(driver, name: str) -> None:
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, min(max(height, 800), 4000))
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    driver.set_window_size(1280, 1000)


def a_searchable_word(settings) -> str:
    """A keyword of an approved project, as a user might type it."""
    with open_view(settings, "public") as kg:
        rows = kg.select(prefix_block() + """SELECT ?k WHERE { ?p a sp:FundedProject ; schema:keywords ?k
            FILTER(LANG(?k) = "zh") } ORDER BY ?k LIMIT 1""")
    return str(rows[0]["k"])


def test_home_search_entity_and_sparql_in_a_real_browser(browser, server, published_demo):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 120)  # a loaded 2-core machine: the first search opens the index
    browser.get(server + "/")
    assert browser.find_element(By.CSS_SELECTOR, ".hero h1").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart")) >= 4
    shot(browser, "01-home")

    box = browser.find_element(By.ID, "q")
    box.send_keys(a_searchable_word(published_demo.settings))
    box.submit()
    try:
        first = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "a.hit-link")))
    except Exception:
        shot(browser, "02-search-failed")
        raise AssertionError("no search result link: " + browser.find_element(By.TAG_NAME, "main").text[:500])
    assert browser.find_elements(By.CSS_SELECTOR, ".facets .facet")
    shot(browser, "02-search")

    first.click()
    heading = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".entity-head h1")))
    assert heading.text
    assert browser.find_elements(By.CSS_SELECTOR, "table.props tr")
    shot(browser, "03-entity")

    browser.get(server + path_of(published_demo.person_iri))
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".entity-head h1")))
    shot(browser, "04-researcher")

    browser.get(server + "/query?lang=en")
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "a.example"))).click()
    wait.until(EC.element_to_be_clickable((By.ID, "run"))).click()
    wait.until(EC.presence_of_element_located((By.ID, "results")))
    assert not browser.find_elements(By.ID, "query-error")
    shot(browser, "05-sparql")
    for name in ("01-home", "02-search", "03-entity", "04-researcher", "05-sparql"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
