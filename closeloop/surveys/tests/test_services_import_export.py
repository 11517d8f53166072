"""Import and export surveys as JSON and YAML documents, so they can live in a git repository."""

from __future__ import annotations

import json

import pytest
import yaml

from closeloop.core.errors import NotFoundError
from closeloop.surveys.models import Survey
from closeloop.surveys.schema import DefinitionError
from closeloop.surveys.selectors import survey_definition, survey_draft, survey_versions
from closeloop.surveys.services import (
    survey_create,
    survey_export,
    survey_import,
    survey_publish,
)
from closeloop.surveys.tests.helpers import data, q

pytestmark = pytest.mark.django_db

BROKEN_YAML = """\
closeloop_survey: 1
name: Broken
definition:
  default_language: en
  languages: [en]
  title: {en: Broken
  pages: []
"""

INVALID_YAML = """\
closeloop_survey: 1
name: Invalid
kind: customer
definition:
  default_language: en
  languages: [en]
  title: {en: Invalid}
  pages:
    - key: p1
      questions:
        - key: q1
          type: nps
          title: {en: Score}
        - key: Q 2
          type: short_text
          title: {en: Why}
  endings:
    - key: done
      title: {en: Thanks}
      message: {en: Bye}
"""


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_round_trip(personas, fmt: str) -> None:
    original = survey_create(
        organization=personas.org, actor=None, name="Employee pulse", template="enps_pulse"
    )
    text = survey_export(survey=original, fmt=fmt)  # type: ignore[arg-type]

    copy = survey_import(organization=personas.other_org, actor=None, text=text, fmt=fmt)  # type: ignore[arg-type]

    assert copy.pk != original.pk
    assert (copy.name, copy.kind) == ("Employee pulse", "employee")
    assert survey_export(survey=copy, fmt=fmt) == text  # type: ignore[arg-type]
    assert survey_draft(copy).definition == survey_draft(original).definition  # type: ignore[union-attr]


def test_export_formats_are_readable(personas) -> None:
    survey = survey_create(organization=personas.org, actor=None, name="설문", template="nps")
    as_json = json.loads(survey_export(survey=survey, fmt="json"))
    as_yaml = yaml.safe_load(survey_export(survey=survey, fmt="yaml"))
    assert as_json == as_yaml
    assert as_json["closeloop_survey"] == 1
    assert as_json["name"] == "설문"
    assert as_json["kind"] == "customer"
    assert "추천" in survey_export(survey=survey, fmt="yaml")  # Unicode kept as is


def test_export_a_given_version(personas) -> None:
    survey = survey_create(
        organization=personas.org,
        actor=None,
        name="Versions",
        definition=data([{"key": "p1", "questions": [q("q1", "nps")]}]),
    )
    survey_publish(survey=survey, actor=None)
    survey_import(
        organization=personas.org,
        actor=None,
        text=json.dumps(data([{"key": "p1", "questions": [q("q1", "csat")]}])),
        fmt="json",
        survey=survey,
    )
    assert [v.number for v in survey_versions(survey=survey)] == [2, 1]
    newest = json.loads(survey_export(survey=survey, fmt="json"))
    first = json.loads(survey_export(survey=survey, fmt="json", version=1))
    assert newest["definition"]["pages"][0]["questions"][0]["type"] == "csat"
    assert first["definition"]["pages"][0]["questions"][0]["type"] == "nps"
    with pytest.raises(NotFoundError):
        survey_export(survey=survey, fmt="json", version=9)


def test_import_bare_definition_uses_its_title(personas) -> None:
    text = json.dumps(data([{"key": "p1", "questions": [q("q1", "nps")]}]))
    survey = survey_import(organization=personas.org, actor=None, text=text, fmt="json")
    assert survey.name == "Survey"
    renamed = survey_import(
        organization=personas.org, actor=None, text=text, fmt="json", name="Named"
    )
    assert renamed.name == "Named"
    assert survey_definition(survey_draft(renamed)).pages[0].questions[0].key == "q1"  # type: ignore[arg-type]


def test_broken_yaml_reports_the_line(personas) -> None:
    with pytest.raises(DefinitionError) as caught:
        survey_import(organization=personas.org, actor=None, text=BROKEN_YAML, fmt="yaml")
    error = caught.value.errors[0]
    assert error["line"] == 7
    assert "line 7" in caught.value.message
    assert not Survey.objects.filter(organization=personas.org).exists()


def test_invalid_definition_reports_path_and_line(personas) -> None:
    with pytest.raises(DefinitionError) as caught:
        survey_import(organization=personas.org, actor=None, text=INVALID_YAML, fmt="yaml")
    error = caught.value.errors[0]
    assert error["path"] == "definition.pages[0].questions[1].key"
    assert error["line"] == 14
    assert not Survey.objects.filter(organization=personas.org).exists()


def test_unknown_envelope_version_or_field(personas) -> None:
    with pytest.raises(DefinitionError) as caught:
        survey_import(
            organization=personas.org,
            actor=None,
            text=INVALID_YAML.replace("closeloop_survey: 1", "closeloop_survey: 7"),
            fmt="yaml",
        )
    assert caught.value.errors[0]["path"] == "closeloop_survey"
    assert caught.value.errors[0]["line"] == 1
    with pytest.raises(DefinitionError) as caught:
        survey_import(
            organization=personas.org,
            actor=None,
            text=INVALID_YAML.replace("kind: customer", "colour: red"),
            fmt="yaml",
        )
    assert caught.value.errors[0]["path"] == "colour"


def test_broken_json_reports_the_line(personas) -> None:
    with pytest.raises(DefinitionError) as caught:
        survey_import(organization=personas.org, actor=None, text='{\n  "a": 1,\n}', fmt="json")
    assert caught.value.errors[0]["line"] == 3
