"""Site profiles: what an analyst writes to point adwatch at a platform.

A profile is one YAML file in ``crawler/finding/sites/`` (or ``ADWATCH_SITES_DIR``).  It
names the platform and its channel, the query URL template, where the data sits
(CSS selectors for HTML, JMESPath expressions for JSON), which pages need the
browser, the rate, how a block page looks, the field coverage a crawl must
reach, and optional cookies, storage state and proxy.  The spiders hold no
platform knowledge: a new platform is a new profile, not new code.  A
malformed profile fails with the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from crawler.items import CHANNELS, TRACKING_PARAMS


class ProfileError(ValueError):
    """A site profile cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class BlockRule:
    """How a block or captcha page shows itself: an HTTP status, a substring
    of the page or of a data answer (``markers``), a substring of the URL the
    page ended at or of any redirect on the way (``urls``: wappass.baidu.com,
    ``_____tmd_____/punish``), a JMESPath true on a data answer (``data``: a
    soft block is an HTTP 200 answer, Douyin's ``search_nil_info``, mtop's
    ``ret``), or an element on the page (``selectors``: a captcha overlay).
    The same shape says when a session has expired (``session.expired``)."""

    markers: tuple[str, ...] = ()
    statuses: tuple[int, ...] = (403, 429)
    urls: tuple[str, ...] = ()
    data: tuple[str, ...] = ()
    selectors: tuple[str, ...] = ()

    def matches(
        self,
        status: int,
        body: str,
        urls: tuple[str, ...] = (),
        answers: tuple[Any, ...] = (),
        texts: tuple[str, ...] = (),
    ) -> str:
        """Return the reason the page is a block page, or ''.  ``urls`` are
        the page's URL and its redirects; ``answers`` its data answers,
        parsed, and ``texts`` as they came (for the markers)."""
        if status in self.statuses:
            return f"status {status}"
        for marker in self.urls:
            for url in urls:
                if marker in url:
                    return f"url {marker!r} ({url[:200]})"
        if self.selectors and body.lstrip()[:1] == "<":
            from parsel import Selector

            page = Selector(text=body)
            for css in self.selectors:
                if page.css(css):
                    return f"element {css!r}"
        for marker in self.markers:
            if marker in body or any(marker in text for text in texts):
                return f"marker {marker!r}"
        if self.data and answers:
            from crawler.finding.extract import json_path

            for expression in self.data:
                for answer in answers:
                    if json_path(answer, expression):
                        return f"data answer {expression!r}"
        return ""

    def __bool__(self) -> bool:
        return bool(self.markers or self.urls or self.data or self.selectors)


def _check_jmespath(path: Path, where: str, expression: str) -> None:
    """A JMESPath expression that compiles, or a ProfileError naming the key."""
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        jmespath.compile(expression)
    except JMESPathError as exc:
        raise ProfileError(f"{path}: {where}: not valid JMESPath: {exc}") from None


def _check_css(path: Path, where: str, css: str) -> None:
    """A CSS selector parsel can use, or a ProfileError naming the key."""
    from cssselect import SelectorError
    from parsel import Selector

    try:
        Selector(text="<p></p>").css(css)
    except (SelectorError, ValueError) as exc:
        raise ProfileError(f"{path}: {where} {css!r}: not CSS: {exc}") from None


def _rule(path: Path, where: str, raw: Any, statuses: tuple[int, ...]) -> BlockRule:
    """Read ``block:`` or ``session.expired:``; each key a list of strings
    (``statuses`` of numbers), JMESPath and CSS checked now."""
    if raw is None:
        return BlockRule(statuses=statuses)
    if not isinstance(raw, dict):
        raise ProfileError(f"{path}: {where!r} must be a mapping")
    known = ("markers", "statuses", "urls", "data", "selectors")
    for key in raw:
        if key not in known:
            raise ProfileError(f"{path}: {where}.{key} is not a key ({', '.join(known)})")

    def texts(key: str) -> tuple[str, ...]:
        value = raw.get(key) or []
        if isinstance(value, str):
            value = [value]  # one rule written without brackets
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ProfileError(f"{path}: {where}.{key} must be text or a list of texts")
        return tuple(value)

    for expression in texts("data"):
        _check_jmespath(path, f"{where}.data {expression!r}", expression)
    for css in texts("selectors"):
        _check_css(path, f"{where}.selectors", css)
    given = raw.get("statuses")
    if given is not None and (
        not isinstance(given, list)
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in given)
    ):
        raise ProfileError(f"{path}: {where}.statuses must be a list of HTTP status numbers")
    return BlockRule(
        markers=texts("markers"),
        statuses=tuple(given) if given is not None else statuses,
        urls=texts("urls"),
        data=texts("data"),
        selectors=texts("selectors"),
    )


@dataclass(frozen=True)
class Session:
    """A platform's login: where its state comes from, how a page shows it is
    logged in (``logged_in``: an element every HTML list page has only when
    logged in) and how it shows the login is gone (``expired``).  A failed
    check stops the platform for the run with a "session expired" alert
    instead of crawling on logged out."""

    storage_state: str = ""
    cookies_file: str = ""
    logged_in: str = ""
    expired: BlockRule = field(default_factory=lambda: BlockRule(statuses=()))
    login_url: str = ""


def _session(path: Path, raw: Any) -> Session:
    if raw is None:
        return Session()
    if not isinstance(raw, dict):
        raise ProfileError(f"{path}: 'session' must be a mapping")
    known = ("storage_state", "cookies", "logged_in", "expired", "login_url")
    for key in raw:
        if key not in known:
            raise ProfileError(f"{path}: session.{key} is not a key ({', '.join(known)})")
    for key in ("storage_state", "cookies", "logged_in", "login_url"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise ProfileError(f"{path}: session.{key} must be a string")
    logged_in = str(raw.get("logged_in") or "")
    if logged_in:
        _check_css(path, "session.logged_in", logged_in)
    return Session(
        storage_state=str(raw.get("storage_state") or ""),
        cookies_file=str(raw.get("cookies") or ""),
        logged_in=logged_in,
        expired=_rule(path, "session.expired", raw.get("expired"), ()),
        login_url=str(raw.get("login_url") or ""),
    )


# A live platform's pace when its profile names none: one request at a time,
# about this many seconds apart (jittered ±50 %, DOWNLOAD_SLOTS), like a person.
LIVE_DELAY = 4.0


def _loopback(base_url: str) -> bool:
    """Whether a base URL is this machine (the demo web, a local mirror)."""
    from urllib.parse import urlsplit

    host = (urlsplit(base_url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


# Record fields whose share a crawl can be held to (``coverage:`` in a profile).
COVERAGE_FIELDS = ("title", "text", "author", "images")
COVERAGE_MIN_RECORDS = 10  # fewer records than this on a platform: too few to judge


@dataclass(frozen=True)
class Coverage:
    """The least share (0..1) of a platform's records that must carry each field,
    judged only on ``min_records`` records or more.  No thresholds: no check (what
    a platform carries differs by channel: search results have no author)."""

    thresholds: dict[str, float] = field(default_factory=dict)
    min_records: int = COVERAGE_MIN_RECORDS


def _coverage(path: Path, raw: Any) -> Coverage:
    """Read ``coverage:``: fields of COVERAGE_FIELDS with shares in [0, 1], and
    an optional ``min_records`` (a whole number >= 1)."""
    if raw is None:
        return Coverage()
    if not isinstance(raw, dict):
        raise ProfileError(f"{path}: 'coverage' must be a mapping of field: share")
    thresholds: dict[str, float] = {}
    min_records = COVERAGE_MIN_RECORDS
    for key, value in raw.items():
        if key == "min_records":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ProfileError(f"{path}: coverage.min_records must be a whole number >= 1")
            min_records = value
        elif key in COVERAGE_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ProfileError(
                    f"{path}: coverage.{key} must be a share between 0 and 1, got {value!r}"
                )
            thresholds[key] = float(value)
        else:
            raise ProfileError(
                f"{path}: coverage.{key} is not a field adwatch checks "
                f"(one of {', '.join(COVERAGE_FIELDS)}, or min_records)"
            )
    return Coverage(thresholds, min_records)


@dataclass(frozen=True)
class SiteProfile:
    name: str
    channel: str
    base_url: str
    queries: tuple[str, ...]
    search: dict[str, Any]
    detail: dict[str, Any]
    source: Path
    concurrency: int = 4
    delay: float = 0.0
    max_pages: int | None = None
    block: BlockRule = field(default_factory=BlockRule)
    drop_params: frozenset[str] = TRACKING_PARAMS
    session: Session = field(default_factory=Session)
    proxy: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    coverage: Coverage = field(default_factory=Coverage)
    # label -> the value put in the URL, where they differ (a topic id, a
    # container id): records and reports name the label
    query_values: dict[str, str] = field(default_factory=dict)

    def query_value(self, label: str) -> str:
        """What goes into the URL for a query (its label unless the profile
        gives a value)."""
        return self.query_values.get(label, label)

    def with_base_url(self, base_url: str) -> SiteProfile:
        """A copy pointed at another host (the demo web on its port, a mirror)."""
        from dataclasses import replace

        return replace(self, base_url=base_url.rstrip("/"))

    def url(self, template: str, **values: Any) -> str:
        """Fill a URL template: {base} plus URL-quoted values."""
        quoted = {k: quote(str(v), safe="") for k, v in values.items()}
        return template.format(base=self.base_url, **quoted)

    @property
    def storage_state(self) -> str:
        return self.session.storage_state

    @property
    def cookies_file(self) -> str:
        return self.session.cookies_file

    @property
    def slot(self) -> str:
        """Download slot: per-platform concurrency and delay (DOWNLOAD_SLOTS)."""
        return f"platform:{self.name}"

    def context_kwargs(self) -> dict[str, Any]:
        """Playwright context options this profile asks for."""
        kwargs: dict[str, Any] = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
        state = Path(self.storage_state).expanduser() if self.storage_state else None
        if state is not None and state.is_file():
            # a session not saved yet is no error: the page goes out logged out,
            # and the session check (session.logged_in) says so
            kwargs["storage_state"] = str(state)
        if self.proxy:
            kwargs["proxy"] = {"server": self.proxy}
        if self.headers:
            kwargs["extra_http_headers"] = dict(self.headers)
        return kwargs


# Keys each channel's spider needs, per section.  Checked at load time.
REQUIRED: dict[str, dict[str, tuple[str, ...]]] = {
    "search": {"search": ("url", "results", "title", "link"), "detail": ()},
    "video": {"search": ("url", "xhr", "items", "fields", "item_url"), "detail": ()},
    "market": {"search": ("url", "xhr", "items", "fields", "item_url"), "detail": ()},
}


def _check_language(path: Path, search: dict[str, Any], detail: dict[str, Any]) -> None:
    """The keys whose values have a fixed form: JMESPath expressions compile,
    enumerations hold a known value, numbers are numbers."""
    from crawler.finding.extract import DATA_ENCODINGS

    for section, values in (("search", search), ("detail", detail)):
        for key in ("xhr_match", "has_next"):
            if values.get(key) is not None:
                _check_jmespath(path, f"{section}.{key}", str(values[key]))
        for key in ("next_click", "xhr"):
            if key in values and (not isinstance(values[key], str) or not values[key].strip()):
                raise ProfileError(f"{path}: {section}.{key} must be a non-empty string")
    if detail.get("data_encoding", "") not in DATA_ENCODINGS:
        known = ", ".join(e for e in DATA_ENCODINGS if e)
        raise ProfileError(f"{path}: detail.data_encoding must be one of {known}")
    if search.get("key", "url") not in ("url", "landing"):
        raise ProfileError(f"{path}: search.key must be 'landing' (or 'url', the default)")
    offset = search.get("first_offset", 0)
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ProfileError(f"{path}: search.first_offset must be a whole number >= 0")


def _check_sponsored(path: Path, channel: str, search: dict[str, Any]) -> None:
    """``search.fields.sponsored`` of a JSON list (video, market): a JMESPath
    over one item whose truth marks a paid item (Douyin ``is_ads``, Goofish
    ``isAliMaMaAD``).  A search profile marks ads with ``search.sponsored``."""
    fields = search.get("fields")
    if channel == "search" or not isinstance(fields, dict) or "sponsored" not in fields:
        return
    expression = fields["sponsored"]
    if not isinstance(expression, str) or not expression.strip():
        raise ProfileError(f"{path}: search.fields.sponsored must be a JMESPath expression")
    _check_jmespath(path, "search.fields.sponsored", expression)


def _queries(path: Path, raw: Any) -> tuple[tuple[str, ...], dict[str, str]]:
    """``queries:`` entries: a word, or ``{label: ..., value: ...}`` where the
    URL needs something other than what a person calls the query."""
    if raw is None:
        return (), {}
    if not isinstance(raw, list):
        raise ProfileError(f"{path}: 'queries' must be a list")
    labels: list[str] = []
    values: dict[str, str] = {}
    for n, entry in enumerate(raw, start=1):
        if isinstance(entry, dict):
            label, value = entry.get("label"), entry.get("value")
            if not isinstance(label, str | int) or not isinstance(value, str | int):
                raise ProfileError(
                    f"{path}: queries entry {n} must have a label and a value, got {entry!r}"
                )
            labels.append(str(label))
            values[str(label)] = str(value)
        elif isinstance(entry, str | int):
            labels.append(str(entry))
        else:
            raise ProfileError(f"{path}: queries entry {n} must be text or {{label, value}}")
    return tuple(labels), values


def load_profile(path: Path) -> SiteProfile:
    """Read and check one profile file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ProfileError(f"{path}{where}: not valid YAML: {exc}") from None
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read: {exc.strerror}") from None
    if not isinstance(raw, dict):
        raise ProfileError(f"{path}: expected a mapping at the top level")

    def need(key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in raw:
            raise ProfileError(f"{path}: missing key {key!r}")
        if not isinstance(raw[key], kind):
            raise ProfileError(f"{path}: {key!r} has the wrong type ({type(raw[key]).__name__})")
        return raw[key]

    channel = need("channel", str)
    if channel not in CHANNELS:
        raise ProfileError(f"{path}: channel {channel!r} is not one of {', '.join(CHANNELS)}")
    search = need("search", dict)
    detail = raw.get("detail") or {}
    if not isinstance(detail, dict):
        raise ProfileError(f"{path}: 'detail' must be a mapping")
    for section, keys in REQUIRED[channel].items():
        values = search if section == "search" else detail
        for key in keys:
            if key not in values:
                raise ProfileError(f"{path}: {section}.{key} is required for a {channel} profile")
    _check_sponsored(path, channel, search)
    _check_language(path, search, detail)
    block = _rule(path, "block", raw.get("block"), (403, 429))
    session = _session(path, raw.get("session"))
    rate = raw.get("rate") or {}
    live = not _loopback(str(raw.get("base_url") or ""))
    coverage = _coverage(path, raw.get("coverage"))  # outside the try: its errors name the key
    queries, query_values = _queries(path, raw.get("queries"))
    try:
        profile = SiteProfile(
            name=need("name", str),
            channel=channel,
            base_url=str(need("base_url", str)).rstrip("/"),
            queries=queries,
            query_values=query_values,
            search=search,
            detail=detail,
            source=path,
            concurrency=int(rate.get("concurrency", 1 if live else 4)),
            delay=float(rate.get("delay", LIVE_DELAY if live else 0.0)),
            max_pages=int(raw["max_pages"]) if raw.get("max_pages") else None,
            block=block,
            drop_params=TRACKING_PARAMS | frozenset(raw.get("drop_params") or ()),
            session=session,
            proxy=str(raw.get("proxy") or ""),
            headers={str(k): str(v) for k, v in (raw.get("headers") or {}).items()},
            coverage=coverage,
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise ProfileError(f"{path}: bad value in rate/headers: {exc}") from None
    if profile.concurrency < 1:
        raise ProfileError(f"{path}: rate.concurrency must be >= 1")
    if profile.proxy and not profile.proxy.startswith("http://"):
        raise ProfileError(
            f"{path}: proxy {profile.proxy!r} must be an http:// proxy (the browser's "
            "traffic goes through adwatch's address guard, which chains only http proxies)"
        )
    return profile


def load_profiles(sites_dir: Path) -> dict[str, SiteProfile]:
    """Every profile in a folder, by name; two files with one name is an error."""
    profiles: dict[str, SiteProfile] = {}
    for path in sorted(sites_dir.glob("*.yaml")):
        profile = load_profile(path)
        if profile.name in profiles:
            other = profiles[profile.name].source
            raise ProfileError(f"{path}: profile name {profile.name!r} already used by {other}")
        profiles[profile.name] = profile
    return profiles


def select_profiles(
    profiles: dict[str, SiteProfile], channel: str | None = None, names: list[str] | None = None
) -> list[SiteProfile]:
    """Profiles for one run: by name if given, else all of a channel.

    Without names, only profiles marked as the default set are taken: the demo
    ones (``demo-*``) — real platforms are crawled only when named."""
    if names:
        unknown = [n for n in names if n not in profiles]
        if unknown:
            raise ProfileError(
                f"unknown site profile(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(profiles))}"
            )
        chosen = [profiles[n] for n in names]
    else:
        chosen = [p for p in profiles.values() if p.name.startswith("demo-")]
    return [p for p in chosen if channel is None or p.channel == channel]
