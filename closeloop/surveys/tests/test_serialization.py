"""Definitions load from and dump to JSON and YAML; errors name the path and the line."""

from __future__ import annotations

import json

import pytest

from closeloop.surveys.schema import DefinitionError
from closeloop.surveys.serialization import dump_definition, load_definition
from closeloop.surveys.tests.helpers import build, data, q

YAML = """\
default_language: en
languages: [en, th]
title: {en: Visit, th: การเยี่ยมชม}
pages:
  - key: p1
    questions:
      - key: when
        type: date
        title: {en: "When?", th: เมื่อไร}
        min_date: 2024-01-01
      - key: q2
        type: single_choice
        title: {en: Pick}
        choices:
          - key: a
            label: {en: A}
          - key: B
            label: {en: B}
endings:
  - key: done
    title: {en: Thanks}
    message: {en: "Bye"}
"""


def test_yaml_error_names_path_and_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(YAML, "yaml")
    [item] = caught.value.errors
    assert item["path"] == "pages[0].questions[1].choices[1].key"
    assert item["line"] == 17
    assert "line 17" in str(caught.value)


def test_yaml_dates_stay_text_and_unicode_survives() -> None:
    defn = load_definition(YAML.replace("key: B", "key: b"), "yaml")
    question = defn.question("when")
    assert question is not None and question.min_date == "2024-01-01"  # type: ignore[union-attr]
    dumped = dump_definition(defn, "yaml")
    assert "การเยี่ยมชม" in dumped
    assert dumped.index("default_language") < dumped.index("pages") < dumped.index("endings")
    assert load_definition(dumped, "yaml") == defn


def test_json_syntax_error_has_a_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition('{\n  "title": {"en": "x"},\n  oops\n}', "json")
    assert caught.value.errors[0]["line"] == 3


def test_yaml_syntax_error_has_a_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition("title:\n  en: [unclosed\n", "yaml")
    assert caught.value.errors[0]["line"] is not None


def test_json_logic_error_names_path_and_line() -> None:
    body = data(
        [
            {"key": "p1", "questions": [q("q1", "nps")]},
            {"key": "p2", "questions": [q("q2", "nps")], "next": "p1"},
        ]
    )
    text = json.dumps(body, indent=2)
    with pytest.raises(DefinitionError) as caught:
        load_definition(text, "json")
    [item] = caught.value.errors
    assert item["path"] == "pages[1].next"
    assert "loops are not allowed" in item["message"]
    assert text.splitlines()[item["line"] - 1].strip().startswith('"next"')


def test_not_a_mapping() -> None:
    with pytest.raises(DefinitionError, match="mapping"):
        load_definition("[1, 2]", "json")


def test_json_round_trip_keeps_aliases() -> None:
    defn = build(
        [
            {
                "key": "p1",
                "questions": [q("q1", "nps")],
                "jumps": [
                    {"if": {"not": {"field": "answer.q1", "op": "answered"}}, "to": "ending:done"}
                ],
            },
            {"key": "p2", "questions": [q("q2", "nps")]},
        ]
    )
    text = dump_definition(defn, "json")
    assert '"if"' in text and '"not"' in text and "not_" not in text and "if_" not in text
    assert load_definition(text, "json") == defn
