"""The template library: every template is valid, fully translated and round-trips."""

from __future__ import annotations

import pytest

from closeloop.core.errors import NotFoundError
from closeloop.surveys.logic import SurveyRun
from closeloop.surveys.serialization import dump_definition, load_definition
from closeloop.surveys.templates_library import TEMPLATE_IDS, get_template, list_templates

EXPECTED = {
    "nps",
    "csat_support",
    "ces",
    "product_ease",
    "churn_reasons",
    "onboarding",
    "website_feedback",
    "enps_pulse",
    "review_360",
}


def test_library_lists_every_template_with_kind_name_and_description() -> None:
    infos = list_templates()
    assert {info.id for info in infos} == EXPECTED
    for info in infos:
        assert info.kind in ("customer", "employee")
        for lang in ("en", "ko", "th"):
            assert info.name[lang].strip() and info.description[lang].strip()
    assert {info.id for info in list_templates(kind="employee")} == {"enps_pulse", "review_360"}


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_template_is_complete_in_english_korean_and_thai(template_id: str) -> None:
    defn = get_template(template_id)
    assert defn.languages == ["en", "ko", "th"]
    assert defn.missing_translations() == []
    defn.validate_for_publish()
    for _path, text in defn.iter_texts():
        # A translation that is just the English text copied over is not a translation.
        assert text["ko"] != text["en"] or not any(c.isalpha() for c in text["en"]), text
        assert text["th"] != text["en"] or not any(c.isalpha() for c in text["en"]), text
        assert any("\uac00" <= c <= "\ud7a3" for c in text["ko"]) or "{{" in text["ko"], text
        assert any("\u0e00" <= c <= "\u0e7f" for c in text["th"]), text


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_template_round_trips(template_id: str, fmt: str) -> None:
    defn = get_template(template_id)
    text = dump_definition(defn, fmt)  # type: ignore[arg-type]
    assert load_definition(text, fmt) == defn  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["en", "ko", "th"])
def test_template_in_one_language(language: str) -> None:
    defn = get_template("csat_support", language=language)
    assert defn.languages == [language] and defn.default_language == language
    assert all(set(text) == {language} for _p, text in defn.iter_texts())


def test_nps_template_invites_promoters_to_review() -> None:
    defn = get_template("nps")
    q1, q2 = defn.pages[0].questions[0], defn.pages[1].questions[0]
    assert q1.type == "nps" and q1.required
    assert q2.type == "long_text" and q2.title["en"] == "What is the main reason for your score?"
    promoter = SurveyRun(
        defn,
        answers={"q1": 9},
        hidden={"brand": "Acme Coffee", "review_url": "https://r.test/acme"},
    )
    assert (
        promoter.text(q1.title, "en")
        == "How likely are you to recommend Acme Coffee to a friend or colleague?"
    )
    assert (
        SurveyRun(defn).text(q1.title, "en")
        == "How likely are you to recommend us to a friend or colleague?"
    )
    assert promoter.next_step("reason").key == "promoter"
    ending = promoter.ending()
    assert ending.button is not None and promoter.url(ending.button.url) == "https://r.test/acme"
    assert SurveyRun(defn, answers={"q1": 8}).ending().key == "thanks"
    assert SurveyRun(defn, answers={"q1": 6}).ending().key == "detractor"


def test_templates_are_fresh_copies() -> None:
    first = get_template("nps")
    first.pages[0].questions[0].title["en"] = "changed"
    assert get_template("nps").pages[0].questions[0].title["en"] != "changed"


def test_unknown_template() -> None:
    with pytest.raises(NotFoundError):
        get_template("nope")
