"""One true browser identity: the installed Chromium's user agent, asked of
the binary (test_crawl_e2e checks that the demo web heard only it, from plain
requests and browser pages alike, never "HeadlessChrome")."""

from __future__ import annotations

import subprocess
from typing import Any

from crawler import settings
from crawler.finding.identity import FALLBACK_MAJOR, chromium_major, user_agent

CHROMIUM = str(settings.PLAYWRIGHT_LAUNCH_OPTIONS["executable_path"])


def test_the_user_agent_is_the_installed_chromiums() -> None:
    said = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout
    major = said.split()[1].split(".")[0]  # "Chromium 156.0.8078.129 built on Debian..."
    assert chromium_major(CHROMIUM) == major
    assert f"Chrome/{major}.0.0.0 " in settings.USER_AGENT
    assert "Headless" not in settings.USER_AGENT


def test_a_browser_that_cannot_be_asked_gets_the_fallback(tmp_path: Any) -> None:
    assert chromium_major(str(tmp_path / "no-such-browser")) == ""
    assert f"Chrome/{FALLBACK_MAJOR}.0.0.0" in user_agent(str(tmp_path / "no-such-browser"))
