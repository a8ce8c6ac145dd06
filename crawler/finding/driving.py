"""Which browser a crawl drives, and logging a person in to a platform.

By default adwatch launches Debian's Chromium headless.  Live platforms trust
a browser a person uses more: ``--headed`` shows the window on the user's
display, and ``--cdp URL`` drives a Chrome the user already runs (started with
``--remote-debugging-port``), with its own version and identity.  Either way
every context adwatch opens still sends its traffic through the address
guard (a per-context proxy works over CDP too: measured with Chromium 156).

``login`` opens the platform's login page in a visible browser (or in the
user's Chrome over CDP), waits while the person logs in, and saves the
context's storage state (cookies and local storage, 0600) where the profile's
``session.storage_state`` reads it: the crawl's browser contexts and, through
crawler.finding.session_cookies, its plain requests then go out logged in.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.finding.profiles import SiteProfile
from crawler.setting_values import ConfigError

CDP_SETTING = "PLAYWRIGHT_CDP_URL"


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def check_cdp_url(url: str) -> str:
    """A CDP endpoint on this machine: the protocol has no authentication and
    gives whoever reaches it the whole browser, so only loopback is driven."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https", "ws", "wss") or not host:
        raise ConfigError(f"--cdp wants a URL like http://127.0.0.1:9222, got {url!r}")
    if host not in ("localhost", "::1") and not host.startswith("127."):
        raise ConfigError(
            f"--cdp {url!r}: adwatch drives a browser over CDP only on this machine "
            "(127.0.0.1); the protocol has no authentication"
        )
    return url


def browser_settings(cdp: str | None, headed: bool, launch: dict[str, Any]) -> dict[str, Any]:
    """Settings for a crawl's browser: over CDP, or launched headed, or as is."""
    if cdp and headed:
        raise ConfigError("--cdp drives a browser that is already running: --headed does not apply")
    if cdp:
        return {CDP_SETTING: check_cdp_url(cdp)}
    if headed:
        if not has_display():
            raise ConfigError(
                "--headed needs a display (DISPLAY or WAYLAND_DISPLAY is not set): run it "
                "on the desktop, or use --cdp with a Chrome you started there"
            )
        return {"PLAYWRIGHT_LAUNCH_OPTIONS": {**launch, "headless": False}}
    return {}


@dataclass(frozen=True)
class LoginResult:
    path: Path
    cookies: int
    seconds: float


def login_url(profile: SiteProfile) -> str:
    return profile.url(profile.session.login_url) if profile.session.login_url else profile.base_url


def login(
    profile: SiteProfile,
    out: Path,
    launch: dict[str, Any],
    *,
    cdp: str | None = None,
    timeout: float = 600.0,
    tell: Callable[[str], None] = print,
    done: Callable[[], bool] | None = None,
) -> LoginResult:
    """Open the login page, wait until the profile's ``session.logged_in``
    element shows (or ``done()`` says so: the person pressed Enter), save the
    storage state to ``out``.  ConfigError when no browser can be shown or
    the login did not happen within ``timeout`` seconds."""
    if cdp:
        check_cdp_url(cdp)
    elif not has_display():
        raise ConfigError(
            "adwatch login opens a browser window: no display here (DISPLAY or "
            "WAYLAND_DISPLAY is not set). Run it on the desktop, or start Chrome there "
            "with --remote-debugging-port=9222 and give --cdp http://127.0.0.1:9222"
        )
    if not profile.session.logged_in and done is None:
        raise ConfigError(
            f"{profile.source}: session.logged_in is not set, so adwatch cannot tell when "
            "the login is done (name an element only a logged-in page shows)"
        )
    return asyncio.run(_login(profile, out, launch, cdp, timeout, tell, done))


async def _login(
    profile: SiteProfile,
    out: Path,
    launch: dict[str, Any],
    cdp: str | None,
    timeout: float,
    tell: Callable[[str], None],
    done: Callable[[], bool] | None,
) -> LoginResult:
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    started = time.monotonic()
    async with async_playwright() as p:
        if cdp:
            browser = await p.chromium.connect_over_cdp(cdp)
            # the user's own context: its login is what is wanted
            context = browser.contexts[0] if browser.contexts else await browser.new_context()
        else:
            browser = await p.chromium.launch(**{**launch, "headless": False})
            context = await browser.new_context(**profile.context_kwargs())
        try:
            page = await context.new_page()
            url = login_url(profile)
            await page.goto(url)
            tell(f"log in to {profile.name} in the browser window ({url}), up to {timeout:g} s")
            while not await _logged_in(context, profile.session.logged_in, done):
                if time.monotonic() - started > timeout:
                    raise ConfigError(
                        f"not logged in to {profile.name} after {timeout:g} s "
                        f"(no element matches {profile.session.logged_in!r}); nothing saved"
                    )
                await asyncio.sleep(0.5)
            state: dict[str, Any] = dict(await context.storage_state())
        except PlaywrightError as exc:
            raise ConfigError(f"the login browser failed: {str(exc)[:300]}") from None
        finally:
            if cdp:
                await _close_quietly(page)
            else:
                await browser.close()
    _save(out, state)
    return LoginResult(out, len(state.get("cookies", [])), time.monotonic() - started)


async def _logged_in(context: Any, selector: str, done: Callable[[], bool] | None) -> bool:
    from playwright.async_api import Error as PlaywrightError

    if done is not None and done():
        return True
    if not selector:
        return False
    for page in context.pages:
        try:
            if await page.locator(selector).count():
                return True
        except PlaywrightError:  # a page navigating meanwhile
            continue
    return False


async def _close_quietly(page: Any) -> None:
    from playwright.async_api import Error as PlaywrightError

    with contextlib.suppress(PlaywrightError):
        await page.close()


def _save(out: Path, state: dict[str, Any]) -> None:
    """Write the storage state readable by this user only (it is a login)."""
    import json

    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(out.name + ".part")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(state, fh, ensure_ascii=False)
    os.chmod(temp, 0o600)
    os.replace(temp, out)
