"""Key-driver analysis: what explains a survey's NPS or CSAT, by Johnson's relative weights,
shown as a priority matrix (importance against performance) with a plain-language summary.

The typed interface other code uses (the drivers page, the API, dashboard widgets):

    from closeloop.analytics.drivers import DriverFilters, driver_analysis

    analysis = driver_analysis(survey=survey, target="nps", filters=DriverFilters(...))
    if analysis.ok:
        analysis.n, analysis.r_squared, analysis.drivers, analysis.summary
    else:
        analysis.message  # why there is nothing to show (too few responses, no drivers)

`driver_analysis` raises DriverInputError (a DomainError naming the field "target") when the
survey has no such target question. Extra driver columns (text themes, for instance) come from
`register_driver_source`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count
from django.utils import translation

from closeloop.analytics.drivers.analysis import (
    KIND_LABELS,
    MIN_COVERAGE,
    MIN_ROWS,
    QUADRANT_HELP,
    QUADRANT_LABELS,
    QUADRANTS,
    Driver,
    DriverAnalysis,
    ExcludedDriver,
    LevelStat,
    Quadrant,
    Status,
    analyse,
)
from closeloop.analytics.drivers.dataset import (
    MAX_ROWS,
    DriverColumn,
    DriverFilters,
    DriverInputError,
    DriverKind,
    DriverSource,
    DriverSourceContext,
    Target,
    load_dataset,
    register_driver_source,
    resolve_target,
    survey_questions,
    target_choices,
    target_label,
)
from closeloop.analytics.metrics.suppression import min_group_size
from closeloop.surveys.choices import SurveyKind

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.surveys.models import Survey

__all__ = [
    "KIND_LABELS",
    "MAX_ROWS",
    "MIN_COVERAGE",
    "MIN_ROWS",
    "QUADRANTS",
    "QUADRANT_HELP",
    "QUADRANT_LABELS",
    "Driver",
    "DriverAnalysis",
    "DriverColumn",
    "DriverFilters",
    "DriverInputError",
    "DriverKind",
    "DriverSource",
    "DriverSourceContext",
    "ExcludedDriver",
    "LevelStat",
    "Quadrant",
    "Status",
    "Target",
    "TargetOption",
    "default_driver_survey",
    "driver_analysis",
    "driver_surveys",
    "driver_targets",
    "register_driver_source",
]


def _language(survey: Survey, language: str | None) -> str:
    code = language or translation.get_language() or survey.organization.default_language
    return code.split("-")[0]


def driver_analysis(
    *,
    survey: Survey,
    target: str = "",
    filters: DriverFilters | None = None,
    language: str | None = None,
    driver_keys: Collection[str] | None = None,
) -> DriverAnalysis:
    """Which drivers explain the survey's target score (`nps`, `csat`, a question key, or empty
    for NPS else CSAT) among the responses the filters select. Labels and the summary are in
    `language` (default: the active language). `driver_keys` limits the candidate drivers
    (keys as in Driver.key: `q:<question>`, `q:<matrix>.<row>`, `attr:<attribute>`)."""
    filters = filters or DriverFilters()
    lang = _language(survey, language)
    questions = survey_questions(survey=survey, language=lang)
    resolved = resolve_target(survey=survey, questions=questions, target=target)
    dataset = load_dataset(
        survey=survey, target=resolved, questions=questions, filters=filters, language=lang
    )
    if driver_keys is not None:
        wanted = set(driver_keys)
        dataset.columns = [c for c in dataset.columns if c.key in wanted]
    threshold = min_group_size(
        organization=survey.organization, employee=survey.kind == SurveyKind.EMPLOYEE
    )
    return analyse(dataset, survey_id=survey.pk, filters=filters, min_group_size=threshold)


@dataclass(frozen=True)
class TargetOption:
    """A question that can be the target: its key, type and how it is named."""

    key: str
    type: str
    label: str
    title: str


def driver_targets(*, survey: Survey, language: str | None = None) -> list[TargetOption]:
    """The survey's score questions that can be a target, in survey order."""
    lang = _language(survey, language)
    questions = survey_questions(survey=survey, language=lang)
    return [
        TargetOption(key=q.key, type=q.type, label=target_label(q, survey), title=q.title)
        for q in target_choices(questions)
    ]


def driver_surveys(*, organization: Organization) -> list[Survey]:
    """The organization's surveys with a published version (the ones that can have answers)."""
    from closeloop.surveys.models import Survey

    return list(
        Survey.objects.filter(organization=organization, versions__published_at__isnull=False)
        .distinct()
        .order_by("name")
    )


def default_driver_survey(*, organization: Organization) -> Survey | None:
    """The survey a drivers page opens on: the one with the most completed responses that has
    an NPS or CSAT question."""
    from closeloop.responses.choices import ResponseStatus
    from closeloop.responses.models import Response
    from closeloop.surveys.models import Survey

    counts = (
        Response.objects.filter(organization=organization, status=ResponseStatus.COMPLETE)
        .values("survey_id")
        .annotate(n=Count("id"))
        .order_by("-n")[:20]
    )
    surveys = Survey.objects.in_bulk([row["survey_id"] for row in counts])
    for row in counts:
        survey = surveys.get(row["survey_id"])
        if survey is None:
            continue
        questions = survey_questions(survey=survey, language=organization.default_language)
        if any(q.type in ("nps", "csat") for q in questions.values()):
            return survey
    return None
