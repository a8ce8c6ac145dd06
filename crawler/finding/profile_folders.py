"""Where site profiles come from: the packaged folder plus the user's own.

A user keeps profiles outside the installed package (``--sites-dir`` or
``ADWATCH_SITES_DIR``) so that adding a site never means editing adwatch.  The
packaged profiles stay available; a user profile with the name of a packaged
one replaces it, so a copy of ``baidu.yaml`` with new selectors takes over
without renaming anything.
"""

from __future__ import annotations

from pathlib import Path

from crawler.finding.profiles import ProfileError, SiteProfile, load_profiles

PACKAGED = Path(__file__).resolve().parent / "sites"


def is_packaged(profile: SiteProfile) -> bool:
    """Whether a profile is one adwatch ships (not the user's)."""
    return profile.source.resolve().parent == PACKAGED


def load_site_profiles(user_dir: Path | None = None) -> dict[str, SiteProfile]:
    """The packaged profiles, overlaid by the user folder's, by name.

    A missing user folder is an error (a typo would otherwise crawl the
    packaged profiles only, silently)."""
    profiles = load_profiles(PACKAGED)
    if user_dir is None or user_dir.resolve() == PACKAGED:
        return profiles
    if not user_dir.is_dir():
        raise ProfileError(f"{user_dir}: sites folder not found (--sites-dir, ADWATCH_SITES_DIR)")
    profiles.update(load_profiles(user_dir))
    return profiles


def saved_session(data_dir: Path, name: str) -> Path:
    """Where ``adwatch login NAME`` keeps a session a profile does not place."""
    return data_dir / "sessions" / f"{name}.json"


def with_saved_sessions(profiles: dict[str, SiteProfile], data_dir: Path) -> dict[str, SiteProfile]:
    """Profiles that name no ``session.storage_state`` read the one ``adwatch
    login`` saved under the data folder, when there is one: logging in is then
    all a crawl of that platform needs."""
    from dataclasses import replace

    out = dict(profiles)
    for name, profile in profiles.items():
        saved = saved_session(data_dir, name)
        if not profile.storage_state and saved.is_file():
            out[name] = replace(profile, session=replace(profile.session, storage_state=str(saved)))
    return out


def origin(profile: SiteProfile, packaged_names: set[str]) -> str:
    """'packaged', 'user' or 'user, overrides packaged' for `adwatch sites`."""
    if is_packaged(profile):
        return "packaged"
    return "user, overrides packaged" if profile.name in packaged_names else "user"


def site_listing(user_dir: Path | None) -> list[tuple[SiteProfile, str]]:
    """Every profile with where it comes from (see :func:`origin`)."""
    packaged = set(load_profiles(PACKAGED))
    return [(p, origin(p, packaged)) for p in load_site_profiles(user_dir).values()]


def folders_text(user_dir: Path | None) -> str:
    """The folders profiles are read from, for a message."""
    if user_dir is None or user_dir.resolve() == PACKAGED:
        return str(PACKAGED)
    return f"{PACKAGED} and {user_dir}"
