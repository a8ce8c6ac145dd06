"""One browser identity, and a true one: the user agent of the Chromium that
is installed, sent alike by Scrapy's plain requests and by every browser page.

Headless Chromium calls itself "HeadlessChrome", which sites read as a
robot; a hard-coded user agent drifts from the installed browser as Debian
updates it, and a plain request then claims a Chrome the pages do not
behave like.  So the version is asked of the binary once, and the user agent
is written the way Chrome itself writes it since its user-agent reduction
(major version only: ``Chrome/156.0.0.0``).
"""

from __future__ import annotations

import functools
import re
import subprocess

# What the user agent says when the binary cannot be asked (not installed yet:
# `make run` installs it before any crawl).
FALLBACK_MAJOR = "156"
_VERSION = re.compile(r"\b(\d{2,4})\.\d+\.\d+\.\d+\b")
_TEMPLATE = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{major}.0.0.0 Safari/537.36"
)


@functools.lru_cache(maxsize=8)
def chromium_major(executable: str) -> str:
    """The installed browser's major version ("" if it cannot be told)."""
    try:
        done = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    found = _VERSION.search(done.stdout)
    return found.group(1) if found else ""


def user_agent(executable: str) -> str:
    """The user agent a normal (headed) Chromium of this version sends on Linux."""
    return _TEMPLATE.format(major=chromium_major(executable) or FALLBACK_MAJOR)
