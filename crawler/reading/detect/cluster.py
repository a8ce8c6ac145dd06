"""Link ads to the operators behind them.

Gangs reuse a few phone numbers and WeChat IDs across many accounts, and post
the same wording with small changes.  Two ads belong to one operator when
they share a normalised contact (a WeChat ID that is a phone number links
with that phone) or when their texts are near-identical: the MinHash
signatures of their templates (the normalised text with digits and Latin runs
masked, so that different contacts do not hide a shared template) estimate a
trigram Jaccard similarity of at least ``MIN_TEMPLATE_SIMILARITY``; banding
(LSH) finds the candidate pairs without comparing every pair.  SimHash was
tried first and rejected: on captions of 50 characters one changed word moved
it by 6 bits, as far as unrelated texts.  Union-find over those links gives the
clusters; a cluster's id is derived from its earliest ad, so it stays put as
the cluster grows.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evidence.index import Catalogue

MIN_TEMPLATE_CHARS = 24  # shorter texts (slogans) are shared by chance, not by template
MIN_TEMPLATE_SIMILARITY = 0.8  # estimated Jaccard of character trigrams: near-identical only
_PERMUTATIONS = 32
_ROWS = 4  # 8 bands of 4 rows: pairs at similarity 0.8 meet in a band 99% of the time
_PRIME = (1 << 31) - 1  # Mersenne: (a*h + b) fits 64 bits for 32-bit h
_MASK = re.compile(r"[0-9]+|[a-z][a-z0-9_\-]*")
_DROP = re.compile(r"[\s\W_]+")
_LINKING_KINDS = frozenset({"phone", "wechat", "qq", "url"})


def _permutations() -> tuple[Any, Any]:
    """Fixed (a, b) for the MinHash functions (a*x + b) mod p, derived from
    SHA-256 so signatures are the same on every machine and run."""
    import numpy as np

    pairs = []
    for i in range(_PERMUTATIONS):
        digest = hashlib.sha256(f"adwatch-minhash-{i}".encode()).digest()
        a = int.from_bytes(digest[:8], "big") % (_PRIME - 1) + 1
        b = int.from_bytes(digest[8:16], "big") % _PRIME
        pairs.append((a, b))
    return (
        np.array([a for a, _ in pairs], dtype=np.uint64)[:, None],
        np.array([b for _, b in pairs], dtype=np.uint64)[:, None],
    )


_AB: tuple[Any, Any] | None = None


def template_text(normalized: str) -> str:
    """The wording of a text without its contacts, numbers and punctuation."""
    return _DROP.sub("", _MASK.sub("#", normalized))


def template_hash(normalized: str, shingle: int = 3) -> str:
    """MinHash signature (32 values, 8 hex digits each) of the template
    text's character trigrams; empty for texts too short to be a template."""
    global _AB
    import numpy as np

    text = template_text(normalized)
    if len(text) < MIN_TEMPLATE_CHARS:
        return ""
    if _AB is None:
        _AB = _permutations()
    a, b = _AB
    # Each distinct trigram once: a minimum over a set is the minimum over the
    # multiset, and a long repetitive page has few distinct trigrams.
    shingles = {text[i : i + shingle] for i in range(len(text) - shingle + 1)}
    hashes = np.fromiter(
        (zlib.crc32(s.encode()) for s in shingles), dtype=np.uint64, count=len(shingles)
    )
    # a < 2^31 and hashes < 2^32: a*h + b stays below 2^64
    signature = ((a * hashes[None, :] + b) % np.uint64(_PRIME)).min(axis=1)
    return "".join(f"{int(v):08x}" for v in signature)


def similarity(a: str, b: str) -> float:
    """Estimated Jaccard similarity of two template hashes (0 if either is empty)."""
    if not a or len(a) != len(b):
        return 0.0
    same = sum(a[i : i + 8] == b[i : i + 8] for i in range(0, len(a), 8))
    return same / (len(a) // 8)


@dataclass
class Operator:
    """One cluster: the ads linked by shared contacts or templates."""

    id: str
    ads: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    contacts: list[dict[str, str]] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    first_seen: str = ""
    last_seen: str = ""
    links: dict[str, int] = field(default_factory=dict)  # why: contact / template counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ad_count": len(self.ads),
            "ads": self.ads,
            "platforms": self.platforms,
            "contacts": self.contacts,
            "templates": self.templates,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "links": self.links,
        }


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True


def link(records: Iterable[Mapping[str, Any]]) -> list[Operator]:
    """Cluster records (dicts with id, platform, first_seen, last_seen,
    contacts [{kind, normalized}] and template_hash); largest first.  Every
    record gets a cluster, a lone ad being an operator of one."""
    rows = sorted(records, key=lambda r: (str(r.get("first_seen") or ""), str(r["id"])))
    uf = _UnionFind(len(rows))
    by_contact: dict[str, int] = {}
    by_band: dict[tuple[int, str], list[int]] = {}
    reasons: dict[tuple[int, int], str] = {}
    for i, row in enumerate(rows):
        for contact in row.get("contacts") or []:
            value = _contact_key(contact)
            if not value:
                continue
            j = by_contact.setdefault(value, i)
            if j != i and uf.union(i, j):
                reasons[(i, j)] = "contact"
        template = str(row.get("template_hash") or "")
        if not template:
            continue
        width = 8 * _ROWS
        for band in range(0, len(template), width):
            key = (band, template[band : band + width])
            for j in by_band.get(key, []):
                t = str(rows[j].get("template_hash"))
                if uf.find(i) != uf.find(j) and similarity(template, t) >= MIN_TEMPLATE_SIMILARITY:
                    uf.union(i, j)
                    reasons[(i, j)] = "template"
            by_band.setdefault(key, []).append(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(rows)):
        groups.setdefault(uf.find(i), []).append(i)
    link_counts: dict[int, dict[str, int]] = {}
    for (i, _j), why in reasons.items():
        counts = link_counts.setdefault(uf.find(i), {})
        counts[why] = counts.get(why, 0) + 1
    operators = [
        _operator([rows[i] for i in members], link_counts.get(root, {}))
        for root, members in groups.items()
    ]
    operators.sort(key=lambda o: (-len(o.ads), o.first_seen, o.id))
    return operators


def _contact_key(contact: Mapping[str, Any]) -> str:
    kind = str(contact.get("kind") or "")
    value = str(contact.get("normalized") or contact.get("value") or "").strip().lower()
    if kind not in _LINKING_KINDS or not value:
        return ""
    if kind in ("phone", "wechat") and value.isdigit():
        return f"number:{value}"  # a WeChat ID that is a phone number is that phone
    return f"{kind}:{value}"


def _operator(members: list[Mapping[str, Any]], links: dict[str, int]) -> Operator:
    first = members[0]  # sorted by first_seen, then id
    digest = hashlib.sha256(str(first["id"]).encode()).hexdigest()[:12]
    op = Operator(id=f"op-{digest}", links=dict(links))
    seen_contacts: set[tuple[str, str]] = set()
    for row in members:
        op.ads.append(str(row["id"]))
        platform = str(row.get("platform") or "")
        if platform and platform not in op.platforms:
            op.platforms.append(platform)
        for contact in row.get("contacts") or []:
            key = (str(contact.get("kind") or ""), str(contact.get("normalized") or ""))
            if key[1] and key not in seen_contacts:
                seen_contacts.add(key)
                op.contacts.append({"kind": key[0], "value": key[1]})
        template = str(row.get("template_hash") or "")
        if template and template not in op.templates:
            op.templates.append(template)
    seen = [str(r.get("first_seen") or "") for r in members if r.get("first_seen")]
    last = [str(r.get("last_seen") or "") for r in members if r.get("last_seen")]
    op.first_seen = min(seen, default="")
    op.last_seen = max(last, default="")
    return op


def relink(catalogue: Catalogue) -> list[Operator]:
    """Recompute every operator from the catalogue's ads and suspects and
    store them (with each record's cluster_id); largest first."""
    operators = link(catalogue.linking_rows())
    catalogue.save_operators(op.to_dict() for op in operators)
    return operators
