"""Rule files: what analysts edit to teach adwatch a new term.

``rules/`` holds one YAML file per category of DOMAIN.md (``category``,
``terms`` with weights, ``patterns``), ``cues.yaml`` (ad cues that raise a
score, look-alike cues that lower it) and ``variants.yaml`` (spellings and
what they stand for).  Terms are normalised like page text and matched with
Aho-Corasick over the normalised text and over its full-pinyin and initials
forms; patterns use the ``regex`` module with a time limit (0.05 s of
matching per pattern and field, tried twice), so a careless pattern cannot
hang a crawl, and match within one clause: punctuation, quotes, hashtags and
spaces end a clause, and ``.`` does not cross them.  A rule counts at most
``MAX_HITS_PER_RULE`` hits a field (see ``RuleSet.match``).

A malformed file raises :class:`RulesError` naming the file and line.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick
import regex
import yaml

from crawler.reading.detect.normalize import (
    CONTACT_CUES,
    FULL_FORM,
    INITIALS_FORM,
    Finder,
    Normalized,
    Phonetic,
    Variants,
    normalize,
    phonetic,
)

logger = logging.getLogger(__name__)

RULES_DIR = Path(__file__).with_name("rules")
# Patterns see punctuation, quotes, hashtags and spaces as line breaks, so
# their `.` stays inside one clause (修复”骗了 #征信 is not 修复...征信).
_LATIN = re.compile(r"[a-z]")
_CLAUSE_BREAK = re.compile(r"[，。！？；：、,.!?;:“”‘’「」『』《》〈〉【】()（）\"'#\s]")
PATTERN_TIMEOUT = 0.05  # seconds per pattern and text
# A pause of the whole process (a full garbage collection of a large crawl's
# heap took 60-90 ms in the tests) counts against the time limit too, and then
# a pattern's hits depended on when the collector ran; a pattern that is slow
# on this text times out on the second try as well.
PATTERN_TRIES = 2
MAX_HITS_PER_RULE = 50  # per field: a rule's hits after the 50th are not counted
STRONG_TERM = 0.5  # a term this heavy marks a stretch of a long field to read first


class RulesError(ValueError):
    """A rules file that cannot be used, with where the problem is."""


@dataclass(frozen=True)
class Rule:
    id: str  # "<category>:<term>" or "<category>:pattern:<n>"
    category: str
    term: str
    weight: float
    source: str  # file:line, for an analyst looking for it


class Hit(NamedTuple):  # a tuple: built for every match, so it must be cheap
    rule: Rule
    field: str
    form: str  # text | pinyin | initials | pattern
    span: tuple[int, int]  # in the raw field text
    norm_span: tuple[int, int]
    raw: str  # the raw text matched


class Cue(NamedTuple):
    side: str  # ad | lookalike
    kind: str
    weight: float
    term: str


@dataclass
class CueKind:
    weight: float
    terms: list[str] = field(default_factory=list)
    patterns: list[regex.Pattern[str]] = field(default_factory=list)


@dataclass
class RuleSet:
    directory: Path
    descriptions: dict[str, str]
    rules: list[Rule]
    patterns: list[tuple[Rule, regex.Pattern[str]]]
    ad_cues: dict[str, CueKind]
    lookalike_cues: dict[str, CueKind]
    variants: Variants
    _text: Any = None
    _pinyin: Any = None
    _initials: Any = None
    _cues: Any = None
    _needs: Any = None
    _literals: Any = None
    _finder: Any = None
    _sha256: str = ""

    def __post_init__(self) -> None:
        self._text = _automaton()
        self._pinyin = _automaton()
        self._initials = _automaton()
        for rule in self.rules:
            norm = normalize(rule.term, self.variants).text
            _add(self._text, norm, rule)
            full, initials = phonetic(norm)
            if sum(1 for c in norm if not c.isascii()) >= 2 or len(full.text) >= 4:
                _add(self._pinyin, full.text, rule)
            if len(initials.text) >= 2 and any(not c.isascii() for c in norm):
                _add(self._initials, initials.text, rule)
        self._needs = {
            rule.id: [frozenset(group) for group in required_literals(rule.term)]
            for rule, _ in self.patterns
        }
        # Patterns indexed by the literals of their most telling required group
        # (longest shortest literal, then fewest): a text only tries the
        # patterns whose indexing literal it contains.
        self._literals = _automaton()
        self._by_literal: dict[str, list[int]] = {}
        self._always: list[int] = []
        for n, (rule, _) in enumerate(self.patterns):
            groups = self._needs[rule.id]
            if not groups:
                self._always.append(n)
                continue
            key = max(groups, key=lambda g: (min(len(a) for a in g), -len(g)))
            for literal in key:
                self._by_literal.setdefault(literal, []).append(n)
            for group in groups:
                for literal in group:
                    if literal not in self._literals:
                        self._literals.add_word(literal, literal)
        self._cues = _automaton()
        for side, kinds in (("ad", self.ad_cues), ("lookalike", self.lookalike_cues)):
            for kind, spec in kinds.items():
                for term in spec.terms:
                    cue = Cue(side, kind, spec.weight, term)
                    _add(self._cues, normalize(term, self.variants).text, cue)
        for a in (self._text, self._pinyin, self._initials, self._cues, self._literals):
            if len(a):
                a.make_automaton()
        self._finder = self._long_field_finder()

    def _long_field_finder(self) -> Finder:
        """What marks a stretch of a long field as worth reading: heavy terms
        and variant spellings (strong), light terms and the literals patterns
        need (weak), contact cues and their variants (contacts)."""
        strong: list[str] = []
        weak: list[str] = []
        contacts = list(CONTACT_CUES)
        for rule in self.rules:
            term = normalize(rule.term, self.variants).text
            (strong if rule.weight >= STRONG_TERM else weak).append(term)
        for variant, canonical in self.variants.table.items():
            is_contact = any(cue in canonical for cue in CONTACT_CUES)
            (contacts if is_contact else strong).append(variant)
        for groups in self._needs.values():
            # sorted: a frozenset's order follows the process's hash seed, and
            # past 253 characters the order decides which share an id (which
            # stretches of a long page are read: the same page must always
            # give the same verdict)
            weak += [literal for group in groups for literal in sorted(group)]
        return Finder(strong, weak, contacts)

    def files_sha256(self) -> str:
        """SHA-256 over the rule set's files, computed once: a rule set is
        never reloaded, so it stays what it was when first asked (hashing the
        files for every record took a third of the time scoring a text)."""
        if not self._sha256:
            h = hashlib.sha256()
            for path in sorted(Path(self.directory).glob("*.yaml")):
                h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
            self._sha256 = h.hexdigest()
        return self._sha256

    @property
    def categories(self) -> list[str]:
        return list(self.descriptions)

    def normalize(self, raw: str) -> Normalized:
        return normalize(raw, self.variants, finder=self._finder)

    def match(self, norm: Normalized, field_name: str) -> list[Hit]:
        """Every rule hit in one normalised field, but at most
        ``MAX_HITS_PER_RULE`` per rule (the first ones): a term written
        50,000 times says no more than written 50 times, and the cap keeps
        the work and the record's list of matches bounded whatever the page.
        The automata still walk the whole field (linear, in C); what is
        capped is the work per hit, and a pattern stops searching at the cap."""
        hits: list[Hit] = []
        text = norm.text
        seen: set[tuple[str, int, int]] = set()
        count: dict[str, int] = {}
        skip: set[int] = set()  # id() of automaton values (rule lists) with nothing to add

        def add(rule: Rule, form: str, start: int, end: int) -> bool:
            """Keep a hit; says whether ``rule`` is now at the cap."""
            n = count.get(rule.id, 0)
            key = (rule.id, start, end)
            if n >= MAX_HITS_PER_RULE or key in seen:
                return n >= MAX_HITS_PER_RULE
            seen.add(key)
            count[rule.id] = n + 1
            raw_span = norm.raw_span(start, end)
            hits.append(
                Hit(rule, field_name, form, raw_span, (start, end), norm.raw[slice(*raw_span)])
            )
            return n + 1 >= MAX_HITS_PER_RULE

        def add_all(rules: list[Rule], form: str, start: int, end: int) -> None:
            capped = False
            for rule in rules:
                capped |= add(rule, form, start, end)
            if capped and all(count.get(r.id, 0) >= MAX_HITS_PER_RULE for r in rules):
                skip.add(id(rules))

        if len(self._text):
            for end, (key, rules) in self._text.iter(text):
                if id(rules) not in skip:
                    add_all(rules, "text", end - len(key) + 1, end + 1)
        has_latin = bool(_LATIN.search(text))
        found_as_text = {h.rule.id for h in hits}
        for automaton, form, needs_latin in (
            (self._pinyin, "pinyin", False),
            (self._initials, "initials", True),
        ):
            if not len(automaton) or (needs_latin and not has_latin):
                continue  # initials count only where the author wrote letters
            p = Phonetic(text, INITIALS_FORM if needs_latin else FULL_FORM)
            checked: set[int] = set()
            for end, (key, rules) in automaton.iter(p.text):
                if id(rules) in skip:
                    continue
                if id(rules) not in checked:
                    checked.add(id(rules))
                    if all(rule.id in found_as_text for rule in rules):
                        skip.add(id(rules))  # these rules matched as written already
                        continue
                start = end - len(key) + 1
                span = _aligned(p, text, start, end + 1, needs_latin)
                if span is not None:
                    add_all(rules, form, *span)
        clauses = _CLAUSE_BREAK.sub("\n", text) if self.patterns else text
        present = (
            {key for _end, key in self._literals.iter(clauses)} if len(self._literals) else set()
        )
        candidates = set(self._always)
        for literal in present:
            candidates.update(self._by_literal.get(literal, ()))
        for n in sorted(candidates):
            rule, pattern = self.patterns[n]
            if not _all_present(self._needs[rule.id], present):
                continue  # a literal the pattern cannot match without is absent
            for attempt in range(PATTERN_TRIES):
                try:
                    for m in pattern.finditer(clauses, timeout=PATTERN_TIMEOUT):
                        if m.end() > m.start() and add(rule, "pattern", m.start(), m.end()):
                            break
                    break
                except TimeoutError:  # the hits found so far are kept; a retry adds the rest
                    if attempt + 1 == PATTERN_TRIES:
                        logger.warning(
                            "rule %s timed out on a %d-character text", rule.source, len(text)
                        )
        return hits

    def cues(self, norm: Normalized) -> list[Cue]:
        """Ad and look-alike cues present in a normalised text, each once (in
        order of first appearance: a cue counts once however often it is said)."""
        found: dict[Cue, None] = {}
        if len(self._cues):
            for _end, (_key, cues) in self._cues.iter(norm.text):
                found.update(dict.fromkeys(cues))
        for side, kinds in (("ad", self.ad_cues), ("lookalike", self.lookalike_cues)):
            for kind, spec in kinds.items():
                for pattern in spec.patterns:
                    if not _may_match(required_literals(pattern.pattern), norm.text):
                        continue
                    m = None
                    for _attempt in range(PATTERN_TRIES):
                        try:
                            m = pattern.search(norm.text, timeout=PATTERN_TIMEOUT)
                            break
                        except TimeoutError:
                            continue
                    if m:
                        found[Cue(side, kind, spec.weight, m.group())] = None
        return list(found)


@lru_cache(maxsize=1024)
def required_literals(pattern: str) -> list[tuple[str, ...]]:
    """Literal texts a pattern cannot match without: each tuple is a set of
    alternatives one of which must occur.  A cheap ``in`` test on these skips
    most patterns for most texts (the regex engine's per-call cost dominated
    scoring).  Empty (always run) when the pattern is not plain enough to tell."""
    try:
        parsed = re._parser.parse(pattern)  # type: ignore[attr-defined]
    except (re.error, RecursionError, ValueError):
        return []
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return []
    return _needs(list(parsed))


def _needs(items: list[tuple[Any, Any]]) -> list[tuple[str, ...]]:
    from re import _constants as c  # type: ignore[attr-defined]

    groups: list[tuple[str, ...]] = []
    run: list[str] = []
    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            groups.append(("".join(run),))
            run = []
        if op is c.BRANCH:
            alternatives = [_plain(list(seq)) for seq in av[1]]
            if all(alternatives):
                groups.append(tuple(a for a in alternatives if a))
        elif op is c.IN and av and all(o is c.LITERAL for o, _ in av):
            groups.append(tuple(chr(v) for _, v in av))  # (?:帮|替) compiles to [帮替]
        elif op is c.SUBPATTERN:
            groups += _needs(list(av[3]))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            groups += _needs(list(av[2]))
    if run:
        groups.append(("".join(run),))
    return groups


def _plain(items: list[tuple[Any, Any]]) -> str:
    from re import _constants as c  # type: ignore[attr-defined]

    if not items or any(op is not c.LITERAL for op, _ in items):
        return ""
    return "".join(chr(av) for _, av in items)


def _all_present(needs: list[frozenset[str]], present: set[str]) -> bool:
    return all(not present.isdisjoint(group) for group in needs)


def _may_match(needs: list[tuple[str, ...]], text: str) -> bool:
    for group in needs:
        for alternative in group:
            if alternative in text:
                break
        else:
            return False
    return True


def _automaton() -> Any:
    return ahocorasick.Automaton()


def _add(automaton: Any, key: str, value: Any) -> None:
    if not key:
        return
    if key in automaton:
        _key, values = automaton.get(key)
        values.append(value)
    else:
        automaton.add_word(key, (key, [value]))


def _aligned(p: Any, text: str, start: int, end: int, needs_latin: bool) -> tuple[int, int] | None:
    """The normalised span of a phonetic match, if it starts and ends on
    syllable boundaries, does not cut a Latin word, and was at least partly
    written in Latin letters by the author (for initials; for pinyin, an
    all-Han homophone needs three syllables or more, since the variants table
    covers the known two-character ones)."""
    span = p.span(start, end)
    if span is None:
        return None
    a, b = span
    written = text[a:b]
    written_in_latin = bool(_LATIN.search(written)) or any(c.isdigit() for c in written)
    if needs_latin and not written_in_latin:
        return None
    if not written_in_latin and b - a < 3:
        return None  # two-syllable homophones are too often chance (挺脆 ~ 停催)
    if a > 0 and _is_latin(text[a - 1]) and _is_latin(text[a]):
        return None
    if b < len(text) and _is_latin(text[b]) and _is_latin(text[b - 1]):
        return None
    return (a, b)


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


# --- loading ----------------------------------------------------------------


def normal_form(directory: Path | str | None = None) -> Callable[[str], str]:
    """The detector's normal form of a text (亭催 -> 停催), for backends that
    index a normalised copy; the rules are loaded on the first call, so a
    backend that never asks (SQLite) never loads them."""
    return lambda text: load_rules(directory).normalize(text).text


@lru_cache(maxsize=8)
def load_rules(directory: Path | str | None = None) -> RuleSet:
    """The rule set in ``directory`` (the bundled rules by default)."""
    root = Path(directory) if directory else RULES_DIR
    if not root.is_dir():
        raise RulesError(f"{root}: not a directory of rule files")
    variants: dict[str, str] = {}
    ad_cues: dict[str, CueKind] = {}
    lookalike_cues: dict[str, CueKind] = {}
    descriptions: dict[str, str] = {}
    rules: list[Rule] = []
    patterns: list[tuple[Rule, regex.Pattern[str]]] = []
    for path in sorted(root.glob("*.yaml")):
        doc = _compose(path)
        _pairs(path, doc)  # the top level must be a mapping
        if path.name == "variants.yaml":
            for key, value in _pairs(path, _child(path, doc, "variants")):
                variants[_scalar(path, key)] = _scalar(path, value)
        elif path.name == "cues.yaml":
            ad_cues.update(_cue_kinds(path, _child(path, doc, "ad_cues")))
            lookalike_cues.update(_cue_kinds(path, _child(path, doc, "lookalike_cues")))
        else:
            category = _scalar(path, _child(path, doc, "category"), "category")
            if category in descriptions:
                raise RulesError(f"{path}:{_line(doc)}: category {category} is defined twice")
            described = _child(path, doc, "description", required=False)
            descriptions[category] = (
                _scalar(path, described, "description") if described else category
            )
            for key, value in _pairs(path, _child(path, doc, "terms")):
                term = _scalar(path, key, "term")
                rules.append(
                    Rule(f"{category}:{term}", category, term, _weight(path, value), _at(path, key))
                )
            for n, node in enumerate(_sequence(path, _child(path, doc, "patterns", False)), 1):
                pattern = _child(path, node, "pattern")
                text = _scalar(path, pattern, "pattern")
                rule = Rule(
                    f"{category}:pattern:{n}",
                    category,
                    text,
                    _weight(path, _child(path, node, "weight")),
                    _at(path, node),
                )
                patterns.append((rule, _compile(path, pattern, text)))
    if not descriptions:
        raise RulesError(f"{root}: no category rule files (*.yaml with a `category`)")
    return RuleSet(root, descriptions, rules, patterns, ad_cues, lookalike_cues, Variants(variants))


def _compose(path: Path) -> yaml.Node:
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise RulesError(f"{path}:{line}: {exc.problem or exc}") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: {exc}") from exc
    if node is None:
        raise RulesError(f"{path}:1: the file is empty")
    return node


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _at(path: Path, node: yaml.Node) -> str:
    return f"{path.name}:{_line(node)}"


def _pairs(path: Path, node: yaml.Node | None) -> list[tuple[yaml.Node, yaml.Node]]:
    """The (key, value) nodes of a mapping node (none for a missing one)."""
    if node is None:
        return []
    if not isinstance(node, yaml.MappingNode):
        raise RulesError(f"{path}:{_line(node)}: expected a mapping (key: value)")
    return list(node.value)


def _child(path: Path, node: yaml.Node, name: str, required: bool = True) -> yaml.Node | None:
    """The value of ``name`` in a mapping node."""
    for key, value in _pairs(path, node):
        if isinstance(key, yaml.ScalarNode) and key.value == name:
            return value
    if required:
        raise RulesError(f"{path}:{_line(node)}: missing `{name}`")
    return None


def _sequence(path: Path, node: yaml.Node | None) -> list[yaml.Node]:
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise RulesError(f"{path}:{_line(node)}: expected a list (- item)")
    return list(node.value)


def _scalar(path: Path, node: yaml.Node | None, what: str = "value") -> str:
    if node is None:
        raise RulesError(f"{path}: missing {what}")
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise RulesError(f"{path}:{_line(node)}: {what} must be a non-empty text")
    return str(node.value).strip()


def _weight(path: Path, node: yaml.Node | None) -> float:
    text = _scalar(path, node, "weight")
    try:
        weight = float(text)
    except ValueError:
        weight = -1.0
    if not 0 < weight <= 1:
        where = _line(node) if node is not None else 0
        raise RulesError(f"{path}:{where}: weight {text!r} must be a number in (0, 1]")
    return weight


def _compile(path: Path, node: yaml.Node | None, text: str) -> regex.Pattern[str]:
    try:
        return regex.compile(text)
    except regex.error as exc:
        line = _line(node) if node is not None else 0
        raise RulesError(f"{path}:{line}: bad pattern {text!r}: {exc}") from exc


def _cue_kinds(path: Path, node: yaml.Node | None) -> dict[str, CueKind]:
    kinds: dict[str, CueKind] = {}
    for key, value in _pairs(path, node):
        kind = CueKind(_weight(path, _child(path, value, "weight")))
        terms = _child(path, value, "terms", required=False)
        kind.terms = [_scalar(path, t, "term") for t in _sequence(path, terms)]
        patterns = _child(path, value, "patterns", required=False)
        kind.patterns = [
            _compile(path, p, _scalar(path, p, "pattern")) for p in _sequence(path, patterns)
        ]
        kinds[_scalar(path, key)] = kind
    return kinds
