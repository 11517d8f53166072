"""New theme proposals from clusters of recent comments that no theme took.

Per language: TF-IDF over the comments' content tokens, k-means for a few values of k (the one
with the best silhouette wins), and every tight enough cluster of at least MIN_CLUSTER comments
becomes a proposed theme: its most typical terms as keywords and name, the comments nearest
its centre as examples. Terms a theme already has (active, proposed or rejected) are not
proposed again. People accept, rename, merge or reject proposals (services.theme_*).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from closeloop.core.services import activity_record
from closeloop.text.choices import ThemeStatus
from closeloop.text.models import Comment, Theme
from closeloop.text.services import _unique_key
from closeloop.text.tokens import content_tokens, normalize, stem_en, tokenize, words

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

MIN_UNASSIGNED = 20
MIN_CLUSTER = 5
MAX_COMMENTS = 2000
MAX_K = 8
MIN_COHESION = 0.15
TOP_TERMS = 3
EXAMPLES = 5


def _analyzer(doc: str) -> list[str]:
    return doc.split()


def _surface_forms(texts: list[str]) -> dict[str, str]:
    """English stems back to the word customers wrote most (deliv -> delivery)."""
    forms: dict[str, Counter[str]] = {}
    for text in texts:
        for word in words(normalize(text)):
            forms.setdefault(stem_en(word), Counter())[word] += 1
    return {stem: counts.most_common(1)[0][0] for stem, counts in forms.items()}


def _known_terms(organization: Organization, language: str) -> set[str]:
    """Tokens of the keywords every theme of the organization already has in `language`."""
    terms: set[str] = set()
    for keywords in Theme.objects.filter(organization=organization).values_list(
        "keywords", flat=True
    ):
        for word in (keywords or {}).get(language, []):
            terms.update(tokenize(str(word), language))
    return terms


def _clusters(matrix: Any) -> tuple[Any, int]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = matrix.shape[0]
    best: tuple[float, Any, int] | None = None
    for k in range(2, min(MAX_K, n // MIN_CLUSTER) + 1):
        model = KMeans(n_clusters=k, n_init=5, random_state=0)
        labels = model.fit_predict(matrix)
        if len(set(labels)) < 2:
            continue
        score = float(silhouette_score(matrix, labels, metric="cosine"))
        if best is None or score > best[0]:
            best = (score, labels, k)
    if best is None:
        return None, 0
    return best[1], best[2]


def themes_propose(
    *,
    organization: Organization,
    days: int = 90,
    max_per_language: int = 3,
    now: dt.datetime | None = None,
) -> list[Theme]:
    """Propose new themes from the recent comments no theme took; returns the proposals."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    since = (now or timezone.now()) - dt.timedelta(days=days)
    unassigned = (
        Comment.objects.filter(
            organization=organization, answered_at__gte=since, model_version__gt=0
        )
        .exclude(tokens="")
        .exclude(language="")
        .filter(theme_links__isnull=True)
    )
    languages = [
        lang
        for lang, n in Counter(unassigned.values_list("language", flat=True)).items()
        if n >= MIN_UNASSIGNED
    ]
    proposals: list[Theme] = []
    for language in sorted(languages):
        rows = list(
            unassigned.filter(language=language)
            .order_by("-answered_at")
            .values_list("pk", "text", "tokens")[:MAX_COMMENTS]
        )
        docs = [" ".join(content_tokens(tokens.split(), language)) for _pk, _t, tokens in rows]
        keep = [i for i, doc in enumerate(docs) if doc]
        rows = [rows[i] for i in keep]
        docs = [docs[i] for i in keep]
        if len(rows) < MIN_UNASSIGNED:
            continue
        vectorizer = TfidfVectorizer(analyzer=_analyzer, min_df=2, sublinear_tf=True)
        try:
            matrix = vectorizer.fit_transform(docs)
        except ValueError:  # no term occurs twice
            continue
        if matrix.shape[1] < 3:
            continue
        labels, k = _clusters(matrix)
        if labels is None:
            continue
        terms = vectorizer.get_feature_names_out()
        known = _known_terms(organization, language)
        surface = _surface_forms([t for _pk, t, _k in rows]) if language == "en" else {}
        found: list[tuple[int, list[str], list[int]]] = []
        for cluster in range(k):
            members = np.flatnonzero(labels == cluster)
            if len(members) < MIN_CLUSTER:
                continue
            sub = matrix[members]
            centroid = np.asarray(sub.mean(axis=0)).ravel()
            norm = np.linalg.norm(centroid)
            if not norm:
                continue
            similarity = (sub @ (centroid / norm)).ravel()
            if float(similarity.mean()) < MIN_COHESION:
                continue
            top = [str(terms[j]) for j in centroid.argsort()[::-1][:TOP_TERMS] if centroid[j] > 0]
            if not top or top[0] in known or sum(1 for t in top if t in known) >= 2:
                continue
            nearest = [int(members[j]) for j in similarity.argsort()[::-1]]
            found.append((len(members), top, nearest))
        found.sort(key=lambda item: -item[0])
        for size, top, nearest in found[:max_per_language]:
            readable = [surface.get(t, t) for t in top]
            examples: list[str] = []
            for index in nearest:
                text = rows[index][1].strip()
                if text not in examples:
                    examples.append(text)
                if len(examples) >= EXAMPLES:
                    break
            proposals.append(
                _propose(organization, language, readable, examples, size,
                         [str(rows[i][0]) for i in nearest[:200]])
            )  # fmt: skip
    return proposals


def _propose(
    organization: Organization,
    language: str,
    terms: list[str],
    examples: list[str],
    size: int,
    comment_ids: list[str],
) -> Theme:
    with transaction.atomic():
        theme = Theme.objects.create(
            organization=organization,
            key=_unique_key(organization, f"proposed-{terms[0]}"),
            names={language: " / ".join(terms[:2])},
            keywords={language: terms},
            examples={language: examples},
            status=ThemeStatus.PROPOSED,
            proposal={
                "language": language,
                "size": size,
                "terms": terms,
                "comment_ids": comment_ids,
                "proposed_at": timezone.now().isoformat(),
            },
        )
        activity_record(
            organization=organization, verb="theme.proposed", target=theme,
            data={"language": language, "size": size},
        )  # fmt: skip
    return theme
