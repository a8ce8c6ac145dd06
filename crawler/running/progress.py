"""Live progress of a crawl on the terminal, and the summary at the end.

On a terminal the status line is rewritten in place every second; when stderr
is a file or a pipe (CI, cron) a plain line is written every 10 seconds, so logs
stay readable.  Figures come from the crawlers' stats, summed over channels.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from scrapy.crawler import Crawler
from twisted.internet import task


@dataclass
class Figures:
    pages: int = 0
    records: int = 0
    ads: int = 0
    suspects: int = 0
    rejects: int = 0
    blocked: int = 0
    operators: int = 0  # operators with two or more linked ads, after the crawl
    images_read: int = 0  # by OCR (a picture met before comes from the cache)
    images_waiting: int = 0  # in the OCR workers' queue: records wait for them
    by_channel: dict[str, int] = field(default_factory=dict)
    by_platform: dict[str, int] = field(default_factory=dict)
    reject_reasons: dict[str, int] = field(default_factory=dict)
    blocked_platforms: dict[str, int] = field(default_factory=dict)
    finish_reasons: dict[str, str] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)  # spider-close checks that failed

    @classmethod
    def of(cls, crawlers: Sequence[Crawler]) -> Figures:
        f = cls()
        for crawler in crawlers:
            stats = crawler.stats.get_stats() if crawler.stats else {}
            f.pages += int(stats.get("response_received_count", 0))
            f.records += int(stats.get("item_scraped_count", 0))
            f.ads += int(stats.get("adwatch/label/ad", 0))
            f.suspects += int(stats.get("adwatch/label/suspect", 0))
            f.rejects += int(stats.get("adwatch/rejects", 0))
            f.blocked += int(stats.get("adwatch/blocked", 0))
            f.images_read += int(stats.get("adwatch/ocr/images", 0))
            f.images_waiting += int(stats.get("adwatch/ocr/waiting", 0))
            for key, value in stats.items():
                if key.startswith("adwatch/records/"):
                    channel = key.rsplit("/", 1)[1]
                    f.by_channel[channel] = f.by_channel.get(channel, 0) + int(value)
                elif key.startswith("adwatch/platform_records/"):
                    platform = key.split("/", 2)[2]
                    f.by_platform[platform] = f.by_platform.get(platform, 0) + int(value)
                elif key.startswith("adwatch/rejects/"):
                    reason = key.rsplit("/", 1)[1]
                    f.reject_reasons[reason] = f.reject_reasons.get(reason, 0) + int(value)
                elif key.startswith("adwatch/blocked/"):
                    platform = key.split("/", 2)[2]
                    f.blocked_platforms[platform] = f.blocked_platforms.get(platform, 0) + int(
                        value
                    )
            if crawler.spider is not None and "finish_reason" in stats:
                f.finish_reasons[crawler.spider.name] = str(stats["finish_reason"])
            f.failed_checks += _failed_checks(stats, crawler.spider.name if crawler.spider else "")
        return f

    def line(self, elapsed: float) -> str:
        line = (
            f"{elapsed:6.0f}s  pages {self.pages}  records {self.records}  "
            f"likely ads {self.ads}  rejects {self.rejects}  blocked {self.blocked}"
        )
        if self.images_read or self.images_waiting:
            # after the last page, records still come while their images are read
            line += f"  images read {self.images_read}"
            if self.images_waiting:
                line += f" ({self.images_waiting} waiting)"
        return line


def _failed_checks(stats: dict[str, Any], spider: str) -> list[str]:
    """The spider-close checks (crawler.finding.monitor) that failed, one line each."""
    lines = [
        f"{name} ({spider})"
        for name in stats.get("adwatch/monitor/failed") or ()
        if not str(name).startswith(("coverage:", "session:"))
    ]
    for platform, reason in sorted((stats.get("adwatch/monitor/session_expired") or {}).items()):
        lines.append(
            f"session expired on {platform}: {reason}; the platform was stopped "
            f"(log in again: adwatch login {platform})"
        )
    for c in stats.get("adwatch/monitor/coverage_failures") or ():
        lines.append(
            f"coverage of {c['field']} on {c['platform']}: {c['share']:.0%} of "
            f"{c['records']} records (< {c['threshold']:.0%})"
        )
    return lines


class Progress:
    def __init__(self, crawlers: Sequence[Crawler], stream: TextIO | None = None) -> None:
        self.crawlers = crawlers
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._last_plain = 0.0
        self._loop = task.LoopingCall(self.show)

    def start(self) -> None:
        self._loop.start(1.0, now=False)

    def stop(self) -> None:
        if self._loop.running:
            self._loop.stop()
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def show(self) -> None:
        elapsed = time.monotonic() - self.started
        line = Figures.of(self.crawlers).line(elapsed)
        if self.tty:
            self.stream.write("\r\033[K" + line)
        elif elapsed - self._last_plain >= 10:
            self._last_plain = elapsed
            self.stream.write(line + "\n")
        self.stream.flush()


def summary(figures: Figures, elapsed: float, catalogue_uri: str, rejects_path: str) -> str:
    """The crawl summary printed when a crawl ends."""
    lines = [f"crawl finished in {elapsed:.1f}s: {figures.pages} pages fetched"]
    lines.append("records per channel:")
    for channel in ("search", "video", "market"):
        lines.append(f"  {channel:<8}{figures.by_channel.get(channel, 0):>6}")
    lines.append(f"  {'total':<8}{figures.records:>6}")
    if len(figures.by_platform) > 1:
        platforms = ", ".join(f"{k} {v}" for k, v in sorted(figures.by_platform.items()))
        lines.append(f"platforms:    {len(figures.by_platform)}   ({platforms})")
    if figures.images_read:
        lines.append(f"images read:  {figures.images_read}   (OCR; pictures met before are cached)")
    lines.append(f"likely ads:   {figures.ads}   (suspect: {figures.suspects})")
    lines.append(f"operators:    {figures.operators}   (2+ linked ads; adwatch clusters)")
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(figures.reject_reasons.items()))
    lines.append(f"rejects:      {figures.rejects}" + (f"   ({reasons})" if reasons else ""))
    platforms = ", ".join(f"{k} {v}" for k, v in sorted(figures.blocked_platforms.items()))
    lines.append(f"blocked:      {figures.blocked}" + (f"   ({platforms})" if platforms else ""))
    odd = {k: v for k, v in figures.finish_reasons.items() if v != "finished"}
    if odd:
        lines.append("stopped early: " + ", ".join(f"{k} ({v})" for k, v in odd.items()))
    for check in figures.failed_checks:
        lines.append(f"CHECK FAILED: {check}")
    lines.append(f"catalogue:    {catalogue_uri}")
    lines.append(f"rejects file: {rejects_path}")
    return "\n".join(lines)
