"""The verbatim explorer's reads: search comments in any language, filter them, highlight the
words that matched, and the terms most typical of detractors against promoters in a theme.

Search works on the engine's normalized tokens (stored on each comment as " tok tok ... "), so
the query is tokenized exactly like the comments: Korean with kiwipiepy (늦었어요 finds 늦게
and 늦다), Thai with pythainlp newmm (ส่งช้า is the phrase ส่ง + ช้า, although Thai has no
spaces), English with the same light stemmer (deliveries finds delivery). A term of several
tokens (a quoted phrase, or a Thai run) is a phrase: its tokens in order, or the phrase as a
substring of the text. Korean words also match as substrings, since particles attach to them.
Every term must match (AND).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import uuid
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from closeloop.text import tokens as text_tokens
from closeloop.text.language import detect
from closeloop.text.models import Comment, CommentTheme, Theme

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.contacts.models import Segment

# Scripts whose words are not separated by spaces or carry attached particles.
_NO_SPACE_LANGUAGES = frozenset({"th", "ja", "zh"})
_PHRASE_RE = re.compile(r'"([^"]+)"|“([^”]+)”|(\S+)')
MAX_TERMS = 8
MAX_QUERY = 200
_KO_PREDICATES = frozenset({"VV", "VA", "VX", "VCN", "XSV", "XSA"})
_NON_SPACE = re.compile(r"[^\s.,!?;:()\[\]\"'…~]*")

NPS_CATEGORIES = {
    "promoter": (9.0, 10.0),
    "passive": (7.0, 8.0),
    "detractor": (0.0, 6.0),
}


# --- the query --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One search term: what was typed, its tokens per way of tokenizing, and whether it is a
    phrase (several tokens, matched in order, or as a substring)."""

    raw: str
    language: str
    # Token sequences the term may appear as; English gives a stemmed and a plain sequence.
    sequences: tuple[tuple[str, ...], ...]

    @property
    def phrase(self) -> bool:
        return any(len(s) > 1 for s in self.sequences)


def _term_language(raw: str) -> str:
    found = detect(raw).language
    if found in ("ko", "th", "ja", "zh"):
        return found
    return "en" if detect(raw).script == "latin" else found or "en"


def term_of(raw: str) -> Term | None:
    """The term for one word or phrase as typed (None for nothing searchable)."""
    raw = " ".join(raw.split())[:MAX_QUERY]
    if not raw:
        return None
    language = _term_language(raw)
    sequences: list[tuple[str, ...]] = []
    main = tuple(text_tokens.tokenize(raw, language))
    if main:
        sequences.append(main)
    if language == "en":
        plain = tuple(text_tokens.tokenize(raw, "xx"))  # Latin text in other languages: unstemmed
        if plain and plain not in sequences:
            sequences.append(plain)
    return Term(raw=raw, language=language, sequences=tuple(sequences))


def parse_query(q: str) -> list[Term]:
    """The terms of a query: "quoted phrases" and words (at most MAX_TERMS)."""
    terms: list[Term] = []
    for match in _PHRASE_RE.finditer((q or "")[: MAX_QUERY * 2]):
        raw = next(g for g in match.groups() if g is not None)
        term = term_of(raw)
        if term is not None:
            terms.append(term)
        if len(terms) >= MAX_TERMS:
            break
    return terms


def term_q(term: Term) -> Q:
    """The comments one term matches."""
    condition = Q(pk__in=[])
    for sequence in term.sequences:
        condition |= Q(tokens__contains=text_tokens.joined(sequence))
    if term.phrase or term.language == "ko" or not term.sequences:
        condition |= Q(text__icontains=term.raw)
        packed = text_tokens.compact(term.raw)
        if term.language in ("ko", *_NO_SPACE_LANGUAGES) and packed and packed != term.raw:
            condition |= Q(text__icontains=packed)
    return condition


# --- filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommentFilters:
    """What the explorer (and the API's list) narrows comments by. Dates are inclusive days in
    the organization's time zone; `nps` is promoter, passive or detractor (NPS scores only)."""

    q: str = ""
    theme: Theme | None = None
    sentiment: str = ""
    score_min: float | None = None
    score_max: float | None = None
    nps: str = ""
    touchpoint_id: uuid.UUID | None = None
    segment: Segment | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    language: str = ""
    source: str = ""
    survey_id: uuid.UUID | None = None
    terms: tuple[Term, ...] = field(default=(), compare=False)

    def with_terms(self) -> CommentFilters:
        """The same filters with the query parsed (once, for search and highlighting)."""
        from dataclasses import replace

        return replace(self, terms=tuple(parse_query(self.q)))


def _day_start(day: dt.date, time_zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(time_zone))


def comment_search(*, organization: Organization, filters: CommentFilters) -> QuerySet[Comment]:
    """The organization's comments matching every filter and every search term, newest first.

    Themes merged into another count as that one (the engine moves links on merge)."""
    qs = Comment.objects.filter(organization=organization)
    if filters.q and not filters.terms:
        filters = filters.with_terms()
    for term in filters.terms:
        qs = qs.filter(term_q(term))
    if filters.theme is not None:
        qs = qs.filter(pk__in=CommentTheme.objects.filter(theme=filters.theme).values("comment_id"))
    if filters.sentiment:
        qs = qs.filter(sentiment=filters.sentiment)
    if filters.score_min is not None:
        qs = qs.filter(score__gte=filters.score_min)
    if filters.score_max is not None:
        qs = qs.filter(score__lte=filters.score_max)
    if filters.nps in NPS_CATEGORIES:
        low, high = NPS_CATEGORIES[filters.nps]
        qs = qs.filter(score_type="nps", score__gte=low, score__lte=high)
    if filters.touchpoint_id is not None:
        qs = qs.filter(touchpoint_id=filters.touchpoint_id)
    if filters.segment is not None:
        from closeloop.contacts.selectors import segment_contacts

        qs = qs.filter(contact_id__in=segment_contacts(segment=filters.segment).values("pk"))
    time_zone = organization.time_zone
    if filters.date_from is not None:
        qs = qs.filter(answered_at__gte=_day_start(filters.date_from, time_zone))
    if filters.date_to is not None:
        end = _day_start(filters.date_to + dt.timedelta(days=1), time_zone)
        qs = qs.filter(answered_at__lt=end)
    if filters.language:
        qs = qs.filter(language=filters.language)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.survey_id is not None:
        qs = qs.filter(survey_id=filters.survey_id)
    return qs.order_by("-answered_at", "-id")


def themes_of(comments: Sequence[Comment]) -> dict[uuid.UUID, list[CommentTheme]]:
    """The theme links of a page of comments (one query), strongest first."""
    found: dict[uuid.UUID, list[CommentTheme]] = {c.pk: [] for c in comments}
    links = (
        CommentTheme.objects.filter(comment_id__in=list(found))
        .select_related("theme")
        .order_by("-confidence", "theme__key")
    )
    for link in links:
        found[link.comment_id].append(link)
    return found


# --- highlighting -----------------------------------------------------------------------------


Span = tuple[str, int, int]  # normalized token, start, end (offsets in the original text)


def _latin_spans(text: str, language: str) -> list[Span]:
    spans: list[Span] = []
    for match in re.finditer(r"[^\W_]+(?:['\u2019][^\W_]+)*", text):
        normalized = text_tokens.normalize(match.group(0))
        for token in text_tokens.tokenize(normalized, language or "xx"):
            spans.append((token, match.start(), match.end()))
    return spans


def _korean_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    for morpheme in text_tokens.korean_morphemes(text):
        forms = text_tokens.korean_tokens_of([morpheme])
        start = int(morpheme.start)
        end = start + int(morpheme.len)
        if str(morpheme.tag).split("-")[0] in _KO_PREDICATES:
            # A verb's or adjective's stem is marked with its endings: 늦었어요, not 늦.
            match = _NON_SPACE.match(text, end)
            end = match.end() if match else end
        for form in forms:
            spans.append((text_tokens.normalize(form), start, end))
    return spans


def _thai_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    position = 0
    for piece in text_tokens.thai_segments(text):
        start, end = position, position + len(piece)
        position = end
        if not piece.strip():
            continue
        for token in text_tokens.tokenize(piece, "th"):
            spans.append((token, start, end))
    return spans


def token_spans(text: str, language: str) -> list[Span]:
    """The comment's tokens (normalized like the engine's) with where they are in the text."""
    if language == "ko":
        return _korean_spans(text)
    if language == "th":
        return _thai_spans(text)
    return _latin_spans(text, language)


def _merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def match_ranges(text: str, language: str, terms: Sequence[Term]) -> list[tuple[int, int]]:
    """Where in `text` the terms matched: token sequences, and substrings for phrases."""
    if not terms or not text:
        return []
    ranges: list[tuple[int, int]] = []
    spans = token_spans(text, language)
    words = [s[0] for s in spans]
    for term in terms:
        for sequence in term.sequences:
            size = len(sequence)
            for i in range(len(words) - size + 1):
                if tuple(words[i : i + size]) == sequence:
                    ranges.append((spans[i][1], spans[i + size - 1][2]))
        if term.phrase or term.language == "ko" or not term.sequences:
            for found in re.finditer(re.escape(term.raw), text, flags=re.IGNORECASE):
                ranges.append((found.start(), found.end()))
    return _merge(ranges)


def highlight(text: str, language: str, terms: Sequence[Term]) -> SafeString:
    """The text escaped, with every match wrapped in <mark>."""
    out: list[str] = []
    position = 0
    for start, end in match_ranges(text, language, terms):
        out.append(escape(text[position:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    out.append(escape(text[position:]))
    return mark_safe("".join(out))  # noqa: S308  (every piece escaped above)


# --- typical terms of detractors and promoters ------------------------------------------------


@dataclass(frozen=True)
class TypicalTerm:
    """A word or phrase and how typical it is of one group (z-score of the log-odds ratio)."""

    term: str
    z: float
    detractors: int
    promoters: int


@dataclass(frozen=True)
class TypicalTerms:
    """The terms most typical of detractors and of promoters among one theme's comments in one
    language, with how many comments of each group were read."""

    language: str
    n_detractors: int
    n_promoters: int
    detractor_terms: list[TypicalTerm]
    promoter_terms: list[TypicalTerm]

    @property
    def enough(self) -> bool:
        return self.n_detractors >= MIN_GROUP_COMMENTS and self.n_promoters >= MIN_GROUP_COMMENTS


MIN_GROUP_COMMENTS = 3
# Terms seen in fewer comments than this (both groups together) are left out.
MIN_TERM_COMMENTS = 2
# The strength of the prior (the organization's other comments in the language), in tokens.
PRIOR_STRENGTH = 500.0
MAX_COMMENTS = 5000


def _display(gram: tuple[str, ...], language: str) -> str:
    return ("" if language == "th" else " ").join(gram)


def comment_terms(tokens: Sequence[str], language: str) -> set[tuple[str, ...]]:
    """The distinct unigrams and bigrams of a comment's content tokens."""
    content = text_tokens.content_tokens(tokens, language)
    grams: set[tuple[str, ...]] = {(t,) for t in content}
    grams.update(itertools.pairwise(content))
    return grams


def log_odds(
    group_a: Counter[tuple[str, ...]],
    group_b: Counter[tuple[str, ...]],
    prior: Counter[tuple[str, ...]],
    *,
    prior_strength: float = PRIOR_STRENGTH,
) -> dict[tuple[str, ...], float]:
    """z-scores of the log-odds ratio of each term between two groups, with an informative
    Dirichlet prior (Monroe, Colaresi and Quinn 2008): positive means typical of group A."""
    n_a, n_b = sum(group_a.values()), sum(group_b.values())
    prior_total = sum(prior.values()) or 1
    scores: dict[tuple[str, ...], float] = {}
    for term in set(group_a) | set(group_b):
        alpha = prior_strength * (prior.get(term, 0) + 1) / (prior_total + len(prior) + 1)
        alpha0 = prior_strength
        y_a, y_b = group_a.get(term, 0), group_b.get(term, 0)
        delta = math.log((y_a + alpha) / (n_a + alpha0 - y_a - alpha)) - math.log(
            (y_b + alpha) / (n_b + alpha0 - y_b - alpha)
        )
        variance = 1.0 / (y_a + alpha) + 1.0 / (y_b + alpha)
        scores[term] = delta / math.sqrt(variance)
    return scores


def typical_terms(
    *, organization: Organization, theme: Theme | None, language: str, limit: int = 12
) -> TypicalTerms:
    """The words and phrases most typical of detractors (NPS 0-6) against promoters (9-10)
    among the theme's comments in `language` (every comment when theme is None)."""
    qs = Comment.objects.filter(
        organization=organization, language=language, score_type="nps", score__isnull=False
    )
    if theme is not None:
        qs = qs.filter(pk__in=CommentTheme.objects.filter(theme=theme).values("comment_id"))
    detractors: Counter[tuple[str, ...]] = Counter()
    promoters: Counter[tuple[str, ...]] = Counter()
    n_detractors = n_promoters = 0
    rows = qs.order_by("-answered_at").values_list("tokens", "score")[:MAX_COMMENTS]
    for tokens, score in rows:
        if score is None:
            continue
        grams = comment_terms(str(tokens).split(), language)
        if score <= 6:
            detractors.update(grams)
            n_detractors += 1
        elif score >= 9:
            promoters.update(grams)
            n_promoters += 1
    prior: Counter[tuple[str, ...]] = Counter()
    background = Comment.objects.filter(organization=organization, language=language)
    for (tokens,) in background.order_by("-answered_at").values_list("tokens")[:MAX_COMMENTS]:
        prior.update(comment_terms(str(tokens).split(), language))
    scores = log_odds(detractors, promoters, prior)
    ranked = sorted(scores.items(), key=lambda item: item[1])

    def entry(gram: tuple[str, ...], z: float) -> TypicalTerm:
        return TypicalTerm(
            _display(gram, language), round(z, 2), detractors.get(gram, 0), promoters.get(gram, 0)
        )

    def frequent(gram: tuple[str, ...]) -> bool:
        return detractors.get(gram, 0) + promoters.get(gram, 0) >= MIN_TERM_COMMENTS

    detractor_terms = [
        entry(g, z) for g, z in reversed(ranked) if z > 0 and frequent(g) and detractors.get(g)
    ][:limit]
    promoter_terms = [
        entry(g, -z) for g, z in ranked if z < 0 and frequent(g) and promoters.get(g)
    ][:limit]
    return TypicalTerms(
        language=language,
        n_detractors=n_detractors,
        n_promoters=n_promoters,
        detractor_terms=detractor_terms,
        promoter_terms=promoter_terms,
    )


def comment_languages(*, organization: Organization, theme: Theme | None = None) -> list[str]:
    """The languages of the organization's comments (of a theme), most comments first."""
    from django.db.models import Count

    qs = Comment.objects.filter(organization=organization).exclude(language="")
    if theme is not None:
        qs = qs.filter(pk__in=CommentTheme.objects.filter(theme=theme).values("comment_id"))
    rows = qs.values("language").annotate(n=Count("id")).order_by("-n", "language")
    return [str(r["language"]) for r in rows]


def facets(*, organization: Organization) -> dict[str, Any]:
    """Languages and sources that occur, for the explorer's filter lists."""
    from closeloop.text.choices import CommentSource

    sources = set(
        Comment.objects.filter(organization=organization)
        .values_list("source", flat=True)
        .distinct()
    )
    return {
        "languages": comment_languages(organization=organization),
        "sources": [(k, v) for k, v in CommentSource.choices if k in sources],
    }
