"""Survey services as the builder, the API and the CLI use them: create, edit, publish, close."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from closeloop.core import events
from closeloop.core.errors import ConflictError, DomainError
from closeloop.core.models import Activity
from closeloop.surveys.models import Survey, SurveyVersion
from closeloop.surveys.schema import DefinitionError
from closeloop.surveys.selectors import (
    access_survey,
    survey_definition,
    survey_draft,
    survey_list,
    survey_public_url,
    survey_response_counts,
    survey_versions,
)
from closeloop.surveys.services import (
    survey_close,
    survey_create,
    survey_discard_draft,
    survey_get_or_create_draft,
    survey_publish,
    survey_reopen,
    survey_update_definition,
    survey_update_settings,
)
from closeloop.surveys.templates_library import TEMPLATE_IDS, get_template_info
from closeloop.surveys.tests.helpers import data, q

pytestmark = pytest.mark.django_db


def two_questions() -> dict[str, Any]:
    return data([{"key": "p1", "questions": [q("q1", "nps"), q("q2", "long_text")]}])


@pytest.mark.parametrize("template", TEMPLATE_IDS)
def test_create_from_each_template(personas, template: str) -> None:
    survey = survey_create(
        organization=personas.org, actor=personas.analyst, name="From template", template=template
    )

    info = get_template_info(template)
    assert survey.status == "draft"
    assert survey.kind == info.kind
    assert survey.template_id == template
    (version,) = survey_versions(survey=survey)
    assert version.number == 1 and version.is_draft
    defn = survey_definition(version)
    assert set(defn.languages) == {"en", "ko", "th"}
    assert defn.default_language == "en"
    # every template is complete, so it can be published as it is
    survey_publish(survey=survey, actor=personas.analyst)
    assert Survey.objects.get(pk=survey.pk).status == "active"


def test_template_in_one_language_and_org_default(personas) -> None:
    korean = survey_create(
        organization=personas.org, actor=None, name="NPS ko", template="nps", language="ko"
    )
    defn = survey_definition(survey_draft(korean))  # type: ignore[arg-type]
    assert defn.languages == ["ko"]
    assert "추천" in defn.pages[0].questions[0].title["ko"]

    personas.org.default_language = "th"
    personas.org.save()
    thai_first = survey_create(organization=personas.org, actor=None, name="NPS", template="nps")
    defn = survey_definition(survey_draft(thai_first))  # type: ignore[arg-type]
    assert defn.default_language == "th"
    assert set(defn.languages) == {"en", "ko", "th"}


def test_unknown_template_or_language_names_the_field(personas) -> None:
    with pytest.raises(DomainError) as caught:
        survey_create(organization=personas.org, actor=None, name="X", template="nope")
    assert caught.value.field == "template"
    with pytest.raises(DomainError) as caught:
        survey_create(
            organization=personas.org, actor=None, name="X", template="nps", language="fr"
        )
    assert caught.value.field == "language"
    assert not Survey.objects.filter(organization=personas.org).exists()


def test_blank_survey_has_one_nps_question_in_org_language(personas) -> None:
    survey = survey_create(organization=personas.org, actor=personas.owner, name="Quick pulse")
    defn = survey_definition(survey_draft(survey))  # type: ignore[arg-type]
    assert defn.default_language == "en"
    assert [qn.type for _p, qn in defn.iter_questions()] == ["nps"]
    assert defn.title == {"en": "Quick pulse"}
    activity = Activity.objects.get(organization=personas.org, verb="survey.created")
    assert activity.actor == personas.owner


def test_create_from_definition_and_invalid_definition_paths(personas) -> None:
    survey = survey_create(
        organization=personas.org, actor=None, name="Custom", definition=two_questions()
    )
    assert [qn.key for _p, qn in survey_definition(survey_draft(survey)).iter_questions()] == [  # type: ignore[arg-type]
        "q1",
        "q2",
    ]

    broken = two_questions()
    broken["pages"][0]["questions"][1]["key"] = "Bad Key"
    with pytest.raises(DefinitionError) as caught:
        survey_create(organization=personas.org, actor=None, name="Broken", definition=broken)
    assert caught.value.errors[0]["path"] == "pages[0].questions[1].key"
    assert Survey.objects.filter(organization=personas.org).count() == 1


def test_publish_freezes_and_edits_go_to_next_version(personas) -> None:
    survey = survey_create(
        organization=personas.org, actor=personas.analyst, name="Frozen", definition=two_questions()
    )
    v1 = survey_publish(survey=survey, actor=personas.analyst)
    survey.refresh_from_db()
    assert survey.status == "active"
    assert survey.current_version == v1
    assert v1.published_by == personas.analyst
    frozen = dict(v1.definition)

    changed = two_questions()
    changed["pages"][0]["questions"][1]["title"] = {"en": "Tell us more"}
    draft = survey_update_definition(survey=survey, actor=personas.analyst, definition=changed)
    assert draft.number == 2 and draft.is_draft

    # a second edit changes the same draft
    changed["pages"][0]["questions"][0]["required"] = True
    again = survey_update_definition(survey=survey, actor=personas.analyst, definition=changed)
    assert again.pk == draft.pk

    v1.refresh_from_db()
    assert v1.definition == frozen
    survey.refresh_from_db()
    assert survey.current_version == v1  # respondents keep seeing v1 until v2 is published

    v2 = survey_publish(survey=survey, actor=personas.analyst)
    survey.refresh_from_db()
    assert survey.current_version == v2
    assert [v.number for v in survey_versions(survey=survey)] == [2, 1]
    assert survey_definition(v2).pages[0].questions[1].title == {"en": "Tell us more"}


def test_publish_without_draft_is_a_conflict(personas) -> None:
    survey = survey_create(organization=personas.org, actor=None, name="Once")
    survey_publish(survey=survey, actor=None)
    with pytest.raises(ConflictError):
        survey_publish(survey=survey, actor=None)


def test_publish_refused_with_missing_translation_naming_the_path(personas) -> None:
    definition = two_questions()
    definition["languages"] = ["en", "ko"]
    definition["title"] = {"en": "Survey", "ko": "설문"}
    for question in definition["pages"][0]["questions"]:
        question["title"]["ko"] = "질문"
    definition["endings"][0]["title"]["ko"] = "감사합니다"
    definition["endings"][0]["message"]["ko"] = "끝"
    del definition["pages"][0]["questions"][1]["title"]["ko"]
    survey = survey_create(organization=personas.org, actor=None, name="KO", definition=definition)

    with pytest.raises(DefinitionError) as caught:
        survey_publish(survey=survey, actor=None)

    assert caught.value.errors[0]["path"] == "pages[0].questions[1].title"
    assert "ko" in caught.value.errors[0]["message"]
    survey.refresh_from_db()
    assert survey.status == "draft" and survey.current_version is None
    assert survey_draft(survey) is not None


def test_get_or_create_draft_copies_published_version_once(personas) -> None:
    survey = survey_create(organization=personas.org, actor=None, name="Drafts")
    v1 = survey_publish(survey=survey, actor=None)
    first = survey_get_or_create_draft(survey=survey, actor=None)
    second = survey_get_or_create_draft(survey=survey, actor=None)
    assert first.pk == second.pk
    assert first.number == 2
    assert first.definition == v1.definition
    assert SurveyVersion.objects.filter(survey=survey).count() == 2


def test_database_refuses_two_drafts(personas) -> None:
    survey = survey_create(organization=personas.org, actor=None, name="Guarded")
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyVersion.objects.create(survey=survey, number=2, definition={})


def test_discard_draft(personas) -> None:
    survey = survey_create(organization=personas.org, actor=None, name="Discard")
    with pytest.raises(ConflictError):
        survey_discard_draft(survey=survey, actor=None)  # never published: v1 must stay
    survey_publish(survey=survey, actor=None)
    survey_get_or_create_draft(survey=survey, actor=None)
    survey_discard_draft(survey=survey, actor=None)
    assert survey_draft(survey) is None
    with pytest.raises(ConflictError):
        survey_discard_draft(survey=survey, actor=None)


def test_close_and_reopen(personas) -> None:
    survey = survey_create(organization=personas.org, actor=None, name="Seasonal")
    with pytest.raises(ConflictError):
        survey_close(survey=survey, actor=None)  # a draft survey is not open yet
    survey_publish(survey=survey, actor=None)

    survey_close(survey=survey, actor=personas.admin)
    survey.refresh_from_db()
    assert survey.status == "closed" and survey.closed_at is not None
    with pytest.raises(ConflictError):
        survey_close(survey=survey, actor=None)

    survey_reopen(survey=survey, actor=personas.admin)
    survey.refresh_from_db()
    assert survey.status == "active" and survey.closed_at is None
    verbs = list(
        Activity.objects.filter(
            organization=personas.org, verb__in=["survey.closed", "survey.reopened"]
        )
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == ["survey.closed", "survey.reopened"]


def test_update_settings(personas) -> None:
    survey = survey_create(organization=personas.org, actor=None, name="Old name")
    survey_update_settings(
        survey=survey,
        actor=personas.analyst,
        name="  New name ",
        single_response_per_browser=True,
        response_limit=100,
    )
    survey.refresh_from_db()
    assert (survey.name, survey.single_response_per_browser, survey.response_limit) == (
        "New name",
        True,
        100,
    )
    survey_update_settings(survey=survey, actor=None, response_limit=0)
    survey.refresh_from_db()
    assert survey.response_limit is None
    with pytest.raises(DomainError) as caught:
        survey_update_settings(survey=survey, actor=None, name="   ")
    assert caught.value.field == "name"


def test_publish_emits_event_after_commit(personas, django_capture_on_commit_callbacks) -> None:
    seen: list[dict[str, Any]] = []

    def handler(**payload: Any) -> None:
        seen.append(payload)

    events.on("survey.published")(handler)
    try:
        survey = survey_create(organization=personas.org, actor=None, name="Evented")
        with django_capture_on_commit_callbacks(execute=True):
            survey_publish(survey=survey, actor=None)
    finally:
        events.disconnect("survey.published", handler)
    assert seen == [
        {"survey_id": str(survey.pk), "organization_id": str(personas.org.pk), "version": 1}
    ]


def test_selectors(personas, settings) -> None:
    settings.BASE_URL = "https://cx.example.com"
    one = survey_create(organization=personas.org, actor=None, name="Checkout NPS")
    survey_create(organization=personas.org, actor=None, name="Support CSAT")
    survey_create(organization=personas.other_org, actor=None, name="Checkout elsewhere")
    survey_publish(survey=one, actor=None)

    assert [s.name for s in survey_list(organization=personas.org, q="checkout")] == [
        "Checkout NPS"
    ]
    assert [s.name for s in survey_list(organization=personas.org, status="draft")] == [
        "Support CSAT"
    ]
    assert survey_public_url(one) == f"https://cx.example.com/s/{one.public_token}/"
    assert access_survey(organization=personas.org, pk=one.pk) == one
    counts = survey_response_counts(surveys=[one])
    assert counts[one.pk].total == 0

    from django.http import Http404

    with pytest.raises(Http404):
        access_survey(organization=personas.other_org, pk=one.pk)
    with pytest.raises(Http404):
        access_survey(organization=personas.org, pk="not-a-uuid")


def test_event_handlers_isolated_and_skipped_on_rollback(
    personas, django_capture_on_commit_callbacks, caplog
) -> None:
    seen: list[str] = []

    def broken(**payload: Any) -> None:
        raise RuntimeError("boom")

    def working(**payload: Any) -> None:
        seen.append(payload["survey_id"])

    events.on("survey.published")(broken)
    events.on("survey.published")(working)
    try:
        assert events.handlers_for("survey.published")[-2:] == [broken, working]
        survey = survey_create(organization=personas.org, actor=None, name="Evented")
        with django_capture_on_commit_callbacks(execute=True):
            survey_publish(survey=survey, actor=None)
        assert seen == [str(survey.pk)]
        assert "boom" in caplog.text

        other = survey_create(organization=personas.org, actor=None, name="Rolled back")
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            survey_publish(survey=other, actor=None)
            raise RuntimeError("abort")
        assert callbacks == []
        assert seen == [str(survey.pk)]
    finally:
        events.disconnect("survey.published", broken)
        events.disconnect("survey.published", working)
