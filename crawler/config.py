"""AdwatchConfig: the one place adwatch's own settings are read and checked.

Components never call ``settings.get("ADWATCH_...")`` themselves; they take an
``AdwatchConfig`` built once by :meth:`AdwatchConfig.from_settings`, so a bad value
fails at start-up with a message naming the setting, not half-way through a crawl.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from scrapy.settings import BaseSettings

from crawler import settings as defaults
from crawler.items import LABELS
from crawler.reading.ocr import ENGINES
from crawler.setting_values import ConfigError, integer, real
from evidence.netpolicy import AddressPolicy, origin_entry

__all__ = ["AdwatchConfig", "ConfigError", "crawler_config", "parse_duration"]


@dataclass(frozen=True)
class AdwatchConfig:
    data_dir: Path
    catalogue_uri: str
    rejects_path: Path
    sites_dir: Path
    base_url: str
    max_pages: int
    block_backoff: float
    block_backoff_max: float
    block_retries: int
    context_recycle_pages: int
    xhr_wait: float
    landing_pages: bool
    catalogue_batch: int
    rules_dir: Path
    ocr_engine: str
    ocr_workers: int
    capture: bool
    capture_labels: tuple[str, ...]
    capture_concurrency: int
    capture_attempts: int
    capture_timeout: float
    capture_load_wait: float
    evidence_dir: Path
    tsa_url: str  # the first TSA listed ("" when none): the clock, the ledger's head, PDFs
    tsa_ca: Path | None
    monitor_limits: dict[str, float]
    allow_hosts: tuple[str, ...] = ()
    model: str = ""  # ADWATCH_MODEL: "" the shipped model, "none", or a model file
    tsa_urls: tuple[str, ...] = ()  # every TSA ADWATCH_TSA_URL lists, each once
    tsa_copies: int = 2  # ADWATCH_TSA_COPIES: how many different TSAs stamp each bundle

    @property
    def tokens_wanted(self) -> int:
        """Tokens each bundle should get: ADWATCH_TSA_COPIES, at most the TSAs listed."""
        return max(1, min(self.tsa_copies, len(self.tsa_urls)))

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> AdwatchConfig:
        """Read every ADWATCH_* setting; those not set take crawler.settings' default
        (so a bare Scrapy Settings, as tests and other runners build, works too)."""
        settings = _with_defaults(settings)
        data_dir = Path(settings.get("ADWATCH_DATA_DIR") or "var")

        def path(name: str, default: Path) -> Path:
            value = settings.get(name)
            return Path(value) if value else default

        catalogue = settings.get("ADWATCH_CATALOGUE") or _default_catalogue(settings, data_dir)
        tsa_urls = _tsa_urls(settings.get("ADWATCH_TSA_URL"))
        cfg = cls(
            data_dir=data_dir,
            catalogue_uri=str(catalogue),
            rejects_path=path("ADWATCH_REJECTS", data_dir / "rejects.jsonl"),
            sites_dir=path("ADWATCH_SITES_DIR", Path(__file__).parent / "finding" / "sites"),
            base_url=str(settings.get("ADWATCH_BASE_URL") or "").rstrip("/"),
            max_pages=_positive_int(settings, "ADWATCH_MAX_PAGES"),
            block_backoff=_positive_float(settings, "ADWATCH_BLOCK_BACKOFF"),
            block_backoff_max=_positive_float(settings, "ADWATCH_BLOCK_BACKOFF_MAX"),
            block_retries=_non_negative_int(settings, "ADWATCH_BLOCK_RETRIES"),
            context_recycle_pages=_positive_int(settings, "ADWATCH_CONTEXT_RECYCLE_PAGES"),
            xhr_wait=_positive_float(settings, "ADWATCH_XHR_WAIT"),
            landing_pages=settings.getbool("ADWATCH_LANDING_PAGES"),
            catalogue_batch=_positive_int(settings, "ADWATCH_CATALOGUE_BATCH"),
            rules_dir=path(
                "ADWATCH_RULES_DIR", Path(__file__).parent / "reading" / "detect" / "rules"
            ),
            ocr_engine=str(settings.get("ADWATCH_OCR_ENGINE") or "none"),
            ocr_workers=_positive_int(settings, "ADWATCH_OCR_WORKERS"),
            capture=settings.getbool("ADWATCH_CAPTURE"),
            capture_labels=tuple(settings.getlist("ADWATCH_CAPTURE_LABELS")),
            capture_concurrency=_positive_int(settings, "ADWATCH_CAPTURE_CONCURRENCY"),
            capture_attempts=_positive_int(settings, "ADWATCH_CAPTURE_ATTEMPTS"),
            capture_timeout=_positive_float(settings, "ADWATCH_CAPTURE_TIMEOUT"),
            capture_load_wait=_positive_float(settings, "ADWATCH_CAPTURE_LOAD_WAIT"),
            evidence_dir=path("ADWATCH_EVIDENCE_DIR", data_dir / "evidence"),
            tsa_url=tsa_urls[0] if tsa_urls else "",
            tsa_ca=_tsa_ca(settings.get("ADWATCH_TSA_CA"), data_dir),
            monitor_limits={
                name: _rate(settings, f"ADWATCH_MONITOR_MAX_{name.upper()}")
                for name in ("invalid_rate", "error_rate", "block_rate")
            },
            allow_hosts=_allow_hosts(settings.get("ADWATCH_ALLOW_HOSTS")),
            model=str(settings.get("ADWATCH_MODEL") or ""),
            tsa_urls=tsa_urls,
            tsa_copies=_positive_int(settings, "ADWATCH_TSA_COPIES"),
        )
        unknown = set(cfg.capture_labels) - set(LABELS)
        if unknown or not cfg.capture_labels:
            raise ConfigError(
                f"ADWATCH_CAPTURE_LABELS must name labels among {', '.join(LABELS)}, "
                f"got {','.join(cfg.capture_labels)!r}"
            )
        if cfg.model and cfg.model.lower() != "none" and not Path(cfg.model).is_file():
            raise ConfigError(f"ADWATCH_MODEL names no model file: {cfg.model!r}")
        _check_alerts(settings)
        if cfg.ocr_engine not in ("none", *ENGINES):
            raise ConfigError(
                f"ADWATCH_OCR_ENGINE must be {', '.join(ENGINES)} or none, got {cfg.ocr_engine!r}"
            )
        if cfg.block_backoff_max < cfg.block_backoff:
            raise ConfigError(
                "ADWATCH_BLOCK_BACKOFF_MAX must be >= ADWATCH_BLOCK_BACKOFF "
                f"({cfg.block_backoff_max} < {cfg.block_backoff})"
            )
        return cfg

    def address_policy(self) -> AddressPolicy:
        """What adwatch may fetch: public http(s) addresses, the hosts of
        ADWATCH_ALLOW_HOSTS, and the host and port of ADWATCH_BASE_URL (a host
        the operator named: --base-url, or --demo's web)."""
        return AddressPolicy(self.allow_hosts).allowing(origin_entry(self.base_url))


def crawler_config(crawler: Any) -> AdwatchConfig:
    """The crawler's AdwatchConfig, read from its settings once (they are
    frozen once the crawler runs) and shared by every component it builds."""
    cfg = getattr(crawler, "adwatch_config", None)
    if not isinstance(cfg, AdwatchConfig):
        cfg = AdwatchConfig.from_settings(crawler.settings)
        crawler.adwatch_config = cfg
    return cfg


def _allow_hosts(value: Any) -> tuple[str, ...]:
    try:
        items = value if isinstance(value, list | tuple) else str(value or "")
        return AddressPolicy.from_text(items).allow
    except ValueError as exc:
        raise ConfigError(f"ADWATCH_ALLOW_HOSTS: {exc}") from None


_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str, bare_unit: str = "h") -> timedelta:
    """ "24h", "30m", "2d", "90s" (or a bare number, in `bare_unit`) as a
    timedelta; ValueError for anything else."""
    m = _DURATION.fullmatch(text)
    if not m:
        raise ValueError(f"expected a duration like 24h, 30m, 2d or 0, got {text!r}")
    return timedelta(**{_UNITS[m.group(2) or bare_unit]: float(m.group(1))})


BACKENDS = ("sqlite", "elastic")


def _default_catalogue(settings: BaseSettings, data_dir: Path) -> str:
    """The catalogue URI ADWATCH_BACKEND and the ADWATCH_ES_* settings describe."""
    backend = str(settings.get("ADWATCH_BACKEND") or "sqlite")
    if backend not in BACKENDS:
        raise ConfigError(f"ADWATCH_BACKEND must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "sqlite":
        return f"sqlite://{(data_dir / 'catalogue.db').resolve()}"
    url = str(settings.get("ADWATCH_ES_URL") or "").rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            "ADWATCH_BACKEND=elastic needs ADWATCH_ES_URL (or --es-url), an http(s) URL; "
            f"got {url!r}"
        )
    prefix = str(settings.get("ADWATCH_ES_PREFIX") or "adwatch")
    replicas = _non_negative_int(settings, "ADWATCH_ES_REPLICAS")
    retry = (data_dir / f"es-retry-{prefix}.jsonl").resolve()
    query = urlencode({"prefix": prefix, "replicas": replicas, "retry_file": str(retry)})
    return f"elasticsearch+{url}?{query}"


def _tsa_urls(value: Any) -> tuple[str, ...]:
    """ADWATCH_TSA_URL: one URL, or several separated by commas or spaces."""
    from evidence.timestamp import tsa_list

    try:
        return tuple(tsa_list(value if isinstance(value, list | tuple) else str(value or "")))
    except ValueError as exc:
        raise ConfigError(
            "ADWATCH_TSA_URL must be an http(s) URL, or several separated by commas or "
            f"spaces: {exc}"
        ) from None


def _tsa_ca(value: Any, data_dir: Path) -> Path | None:
    """The TSA trust anchors: as set (a PEM file, or a folder of them), or the
    demo TSAs' roots if they were made (``roots.pem``: every demo TSA's, or
    the one TSA's ``ca.pem``)."""
    if value:
        return Path(value)
    for made in (data_dir / "tsa" / "roots.pem", data_dir / "tsa" / "ca.pem"):
        if made.exists():
            return made
    return None


def _with_defaults(settings: BaseSettings) -> BaseSettings:
    names = [name for name in dir(defaults) if name.startswith("ADWATCH_")]
    values = {
        name: settings.get(name) if settings.get(name) is not None else getattr(defaults, name)
        for name in names
    }
    return BaseSettings(values)


def _positive_int(settings: BaseSettings, name: str) -> int:
    return integer(settings, name, minimum=1)


def _non_negative_int(settings: BaseSettings, name: str) -> int:
    return integer(settings, name, minimum=0)


def _check_alerts(settings: BaseSettings) -> None:
    """Alert thresholds and channels fail at start-up, not after the first job."""
    from crawler.running.alerts import AlertConfig, AlertConfigError, notifiers_from_settings

    try:
        AlertConfig.from_settings(settings)
        notifiers_from_settings(settings, environ={})
    except AlertConfigError as exc:
        raise ConfigError(str(exc)) from None


def _rate(settings: BaseSettings, name: str) -> float:
    return real(settings, name, minimum=0.0, maximum=1.0)


def _positive_float(settings: BaseSettings, name: str) -> float:
    return real(settings, name, minimum=0.0, strict=True)
