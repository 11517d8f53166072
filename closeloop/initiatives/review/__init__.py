"""Reads of the customer advocacy review: for an organization and a period (in its time zone),
the top themes by NPS impact and by volume with their weekly trend, change against the previous
period of the same length, latest decision and initiatives; open and breaching cases by team;
root causes of the cases resolved in the period; recovered customers; initiatives in progress;
the verbatims behind each theme and root cause; the decisions; and who is on the advocacy team.

The modules: `period` (the period and its settings), `themes` (themes and their verbatims),
`cases` (cases by team, root causes, recovered customers: see its docstring for what counts as
recovered), `team` (who takes part, initiatives in progress, decisions) and `summary` (the
whole review, and as JSON-ready data). Everything is importable from this package.

Queries are bounded: one query per section (window functions pick the newest verbatims of each
theme), never one per row.
"""

from closeloop.initiatives.review.cases import (
    DETRACTOR_MAX,
    REASON_FOLLOW_UP,
    REASON_FOLLOW_UP_SCORE,
    REASON_NEW_SCORE,
    RECOVERED_LISTED,
    RecoveredCustomer,
    RootCauseRow,
    TeamCases,
    cases_by_team,
    recovered_customers,
    root_causes,
)
from closeloop.initiatives.review.period import (
    PRESETS,
    ReviewPeriod,
    review_period,
    review_settings_or_default,
)
from closeloop.initiatives.review.summary import (
    TOP,
    ReviewSummary,
    decision_data,
    review_summary,
    summary_data,
)
from closeloop.initiatives.review.team import (
    ADMIN_ROLES,
    AdvocacyTeam,
    Advocate,
    advocacy_memberships,
    advocacy_team,
    can_use_review,
    decision_list,
    initiatives_in_progress,
    is_advocate,
    last_meeting,
    meeting_dates,
    with_theme_names,
)
from closeloop.initiatives.review.themes import (
    DECISIONS_PER_THEME,
    VERBATIMS,
    ThemeRow,
    Verbatim,
    theme_verbatims,
)

__all__ = [
    "ADMIN_ROLES",
    "DECISIONS_PER_THEME",
    "DETRACTOR_MAX",
    "PRESETS",
    "REASON_FOLLOW_UP",
    "REASON_FOLLOW_UP_SCORE",
    "REASON_NEW_SCORE",
    "RECOVERED_LISTED",
    "TOP",
    "VERBATIMS",
    "AdvocacyTeam",
    "Advocate",
    "RecoveredCustomer",
    "ReviewPeriod",
    "ReviewSummary",
    "RootCauseRow",
    "TeamCases",
    "ThemeRow",
    "Verbatim",
    "advocacy_memberships",
    "advocacy_team",
    "can_use_review",
    "cases_by_team",
    "decision_data",
    "decision_list",
    "initiatives_in_progress",
    "is_advocate",
    "last_meeting",
    "meeting_dates",
    "recovered_customers",
    "review_period",
    "review_settings_or_default",
    "review_summary",
    "root_causes",
    "summary_data",
    "theme_verbatims",
    "with_theme_names",
]
