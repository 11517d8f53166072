"""Demo website widget for Seoul Bean Roasters: a slide-in asking the "Website feedback" survey
at the "Website visit" touchpoint, allowed on the demo's own addresses, so the widgets page's
"Try it" shows it working. Keyed by the widget's name, so running the demo again adds nothing."""

from __future__ import annotations

from closeloop.accounts.models import Organization
from closeloop.distribution.choices import WidgetPlacement
from closeloop.distribution.models import Touchpoint, Widget
from closeloop.distribution.widget_services import widget_create
from closeloop.surveys.choices import SurveyStatus
from closeloop.surveys.models import Survey
from closeloop.surveys.services import survey_create, survey_publish

WIDGET_NAME = "Website feedback slide-in"
SURVEY_NAMES = ("Website feedback (CSAT)", "Website feedback")
ORIGINS = ["http://localhost:8000", "http://127.0.0.1:8000"]


def _survey(org: Organization) -> Survey:
    for name in SURVEY_NAMES:
        survey = Survey.objects.filter(
            organization=org, name=name, status=SurveyStatus.ACTIVE
        ).first()
        if survey is not None:
            return survey
    survey = survey_create(
        organization=org, actor=None, name="Website feedback", template="website_feedback"
    )
    survey_publish(survey=survey, actor=None)
    survey.refresh_from_db()
    return survey


def _touchpoint(org: Organization) -> Touchpoint:
    touchpoint = Touchpoint.objects.filter(organization=org, key="website-visit").first()
    if touchpoint is None:
        touchpoint = Touchpoint.objects.create(
            organization=org, key="website-visit", name="Website visit", channels=["widget"]
        )
    return touchpoint


def seed_widgets(org: Organization) -> Widget:
    """The demo slide-in widget (created once)."""
    existing = Widget.objects.filter(organization=org, name=WIDGET_NAME).first()
    if existing is not None:
        return existing
    return widget_create(
        organization=org,
        actor=None,
        name=WIDGET_NAME,
        survey=_survey(org),
        touchpoint=_touchpoint(org),
        placement=WidgetPlacement.SLIDE_IN,
        allowed_origins=ORIGINS,
        triggers={"min_seconds": 5, "event": "checkout_done"},
    )


def seed_demo_widgets() -> None:
    """The widgets step of the demo: Seoul Bean Roasters only."""
    from closeloop.demo.seed import SEOUL_SLUG

    org = Organization.objects.filter(slug=SEOUL_SLUG).first()
    if org is not None:
        seed_widgets(org)
