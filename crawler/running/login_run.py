"""`adwatch login`: the profile, where its session goes, and the browser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawler.config import AdwatchConfig
from crawler.finding.driving import LoginResult, login
from crawler.finding.profile_folders import load_site_profiles, saved_session
from crawler.finding.profiles import ProfileError


def run_login(
    settings: Any,
    platform: str,
    out: Path | None,
    cdp: str | None,
    timeout: float,
    tell: Callable[[str], None],
) -> LoginResult:
    """Log in to one platform and save its storage state; says where the
    profile must point when it does not name the file yet."""
    config = AdwatchConfig.from_settings(settings)
    profiles = load_site_profiles(config.sites_dir)
    profile = profiles.get(platform)
    if profile is None:
        raise ProfileError(
            f"unknown site profile {platform!r}; known: {', '.join(sorted(profiles))}"
        )
    named = Path(profile.storage_state).expanduser() if profile.storage_state else None
    default = saved_session(config.data_dir, platform)
    target = out or named or default
    launch = dict(settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"))
    done = login(profile, target, launch, cdp=cdp, timeout=timeout, tell=tell)
    reads = named or default  # a profile naming none reads the data folder's
    if reads.resolve() != target.resolve():
        tell(
            f"the {platform} profile ({profile.source}) reads its session from {reads}: "
            f"set session.storage_state: {target}"
        )
    return done
