"""The nightly upkeep of an organization's text models: a new engine or new corrections mean
re-enrichment, enough new scored comments mean a new sentiment model candidate, and comments
no theme took are clustered into proposals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from closeloop.text.engine import engine_stamp
from closeloop.text.learning import languages_to_train, sentiment_model_train
from closeloop.text.proposals import themes_propose
from closeloop.text.services import corrections_since, text_version_bump, text_version_get

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization


@dataclass
class UpkeepReport:
    """What one upkeep pass did for an organization."""

    bumped: str = ""
    trained: dict[str, bool] = field(default_factory=dict)
    proposed: int = 0


def text_upkeep(*, organization: Organization, propose: bool = True) -> UpkeepReport:
    """Run the organization's text upkeep once (the periodic job calls it nightly)."""
    report = UpkeepReport()
    for language in languages_to_train(organization):
        model = sentiment_model_train(organization=organization, language=language)
        if model is not None:
            report.trained[language] = model.active
    if propose:
        report.proposed = len(themes_propose(organization=organization))
    version = text_version_get(organization=organization)
    if not any(report.trained.values()):
        if version.engine != engine_stamp():
            report.bumped = "engine updated"
        elif corrections_since(organization=organization, since=version.corrections_seen_at):
            report.bumped = "corrections"
        if report.bumped:
            text_version_bump(organization=organization, reason=report.bumped)
    return report
