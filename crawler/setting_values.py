"""Numbers read from settings, one way for every component.

A value comes from ``settings.py``, ``-s NAME=VALUE`` (a string), a profile or
the environment; each is checked here with a message that names the setting,
so a bad value stops a command at start-up, not half-way through a crawl.
``crawler.config`` (the crawler's settings) and ``crawler.running.alerts`` (alert
thresholds and channels) both read their numbers through these.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


class ConfigError(ValueError):
    """A setting has a value adwatch cannot use."""


def given(settings: Mapping[str, Any] | Any, name: str) -> Any:
    """The setting's value, None when it is missing or blank."""
    value = settings.get(name)
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def integer(
    settings: Mapping[str, Any] | Any,
    name: str,
    minimum: int,
    default: int | None = None,
    error: type[ConfigError] = ConfigError,
) -> int:
    """A whole number of at least ``minimum`` (``default`` when not given)."""
    number = _read(settings, name, int, default, error)
    if number < minimum:
        bound = "> 0" if minimum == 1 else f">= {minimum}"
        raise error(f"{name} must be {bound}, got {number}")
    return int(number)


def real(
    settings: Mapping[str, Any] | Any,
    name: str,
    minimum: float,
    maximum: float | None = None,
    strict: bool = False,
    default: float | None = None,
    error: type[ConfigError] = ConfigError,
) -> float:
    """A number of at least ``minimum`` (above it if ``strict``) and at most
    ``maximum``; ``default`` when not given.  NaN is refused."""
    number = _read(settings, name, float, default, error)
    low = math.isnan(number) or number < minimum or (strict and number == minimum)
    if maximum is not None and (low or number > maximum):
        raise error(f"{name} must be between {minimum:g} and {maximum:g}, got {number:g}")
    if low:
        raise error(f"{name} must be {'>' if strict else '>='} {minimum:g}, got {number:g}")
    return float(number)


def _read(
    settings: Mapping[str, Any] | Any,
    name: str,
    kind: type[int] | type[float],
    default: float | None,
    error: type[ConfigError],
) -> float:
    """The setting as ``kind`` (its default when not given); a boolean or
    anything else that is not such a number is ``error``."""
    value = given(settings, name)
    if value is None:
        if default is not None:
            return default
        raise error(f"{name} must be a number, got {settings.get(name)!r}")
    try:
        if isinstance(value, bool):
            raise ValueError
        return kind(value)
    except (TypeError, ValueError):
        whole = "whole " if kind is int and _is_float(value) else ""
        raise error(f"{name} must be a {whole}number, got {value!r}") from None


def _is_float(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
