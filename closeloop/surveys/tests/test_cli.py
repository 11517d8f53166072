"""`closeloop survey import FILE --org ...` and `closeloop survey export ID`, as an operator runs
them to keep surveys in a git repository."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from closeloop.surveys.cli import survey_export_command, survey_import_command
from closeloop.surveys.models import Survey
from closeloop.surveys.services import survey_create

pytestmark = pytest.mark.django_db

SURVEY_YAML = """\
closeloop_survey: 1
name: Store visit
kind: customer
definition:
  default_language: en
  languages: [en, ko]
  title: {en: Your visit, ko: 방문}
  pages:
    - key: p1
      questions:
        - key: q1
          type: csat
          required: true
          title: {en: "How was your visit?", ko: "방문은 어떠셨나요?"}
  endings:
    - key: done
      title: {en: Thanks, ko: 감사합니다}
      message: {en: See you soon, ko: 또 만나요}
"""


def test_import_yaml_file_then_export_prints_it(personas, tmp_path: Path, capsys) -> None:
    path = tmp_path / "store-visit.yaml"
    path.write_text(SURVEY_YAML, encoding="utf-8")

    code = survey_import_command(str(path), personas.org.slug, None, None)

    out = capsys.readouterr().out
    assert code == 0
    survey = Survey.objects.get(organization=personas.org, name="Store visit")
    assert str(survey.pk) in out

    assert survey_export_command(str(survey.pk), "yaml", None) == 0
    exported = capsys.readouterr().out
    assert exported.startswith("closeloop_survey: 1\n")
    document = yaml.safe_load(exported)
    assert (document["name"], document["kind"]) == ("Store visit", "customer")
    assert document["definition"]["pages"][0]["questions"][0]["type"] == "csat"
    assert "방문은 어떠셨나요?" in exported

    assert survey_export_command(str(survey.pk), "json", 1) == 0
    assert '"name": "Store visit"' in capsys.readouterr().out


def test_import_with_name_and_format(personas, tmp_path: Path, capsys) -> None:
    path = tmp_path / "survey.txt"
    path.write_text(SURVEY_YAML, encoding="utf-8")
    assert survey_import_command(str(path), personas.org.slug, None, None) == 2
    assert "--format" in capsys.readouterr().err

    assert survey_import_command(str(path), personas.org.slug, "yaml", "Renamed") == 0
    assert Survey.objects.filter(organization=personas.org, name="Renamed").exists()


def test_import_errors_name_file_line_and_path(personas, tmp_path: Path, capsys) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(SURVEY_YAML.replace("key: q1", "key: Q1"), encoding="utf-8")

    assert survey_import_command(str(path), personas.org.slug, None, None) == 1

    err = capsys.readouterr().err
    assert f"{path}:11: definition.pages[0].questions[0].key" in err
    assert not Survey.objects.filter(organization=personas.org).exists()


def test_import_unknown_org_or_missing_file(personas, tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SURVEY_YAML, encoding="utf-8")
    assert survey_import_command(str(path), "no-such-org", None, None) == 1
    assert "no-such-org" in capsys.readouterr().err
    assert survey_import_command(str(tmp_path / "missing.yaml"), personas.org.slug, None, None) == 1
    assert "cannot read" in capsys.readouterr().err


def test_export_unknown_survey_or_version(personas, capsys) -> None:
    assert survey_export_command("not-an-id", "json", None) == 1
    assert survey_export_command("7d4b6c0e-0000-4000-8000-000000000000", "json", None) == 1
    survey = survey_create(organization=personas.org, actor=None, name="One version")
    assert survey_export_command(str(survey.pk), "json", 3) == 1
    assert "version 3" in capsys.readouterr().err
    assert survey_export_command(str(survey.pk), "xml", None) == 2
