"""Shared behaviour of the choice questions: option keys, the 'other' answer, labels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from closeloop.surveys.questions.base import AnswerError
from closeloop.surveys.schema import OTHER_KEY, SHORT_TEXT_MAX, Choice

if TYPE_CHECKING:
    from closeloop.surveys.schema import SurveyDefinition


def option_keys(choices: list[Choice], allow_other: bool) -> list[str]:
    """Every key a respondent may pick, in display order, with 'other' last when allowed."""
    keys = [choice.key for choice in choices]
    return [*keys, OTHER_KEY] if allow_other else keys


def check_key(key: Any, choices: list[Choice], allow_other: bool) -> str:
    """The key when it is one of the options, else AnswerError."""
    if not isinstance(key, str) or key not in option_keys(choices, allow_other):
        raise AnswerError(_("Choose one of the options shown."))
    return key


def clean_other(text: Any) -> str:
    """The respondent's 'other' text: present, one line, at most 500 characters."""
    if not isinstance(text, str) or not text.strip():
        raise AnswerError(_("Describe your other answer."))
    cleaned = " ".join(text.split())
    if len(cleaned) > SHORT_TEXT_MAX:
        raise AnswerError(
            _("Keep your other answer within %(max)d characters.") % {"max": SHORT_TEXT_MAX}
        )
    return cleaned


def choice_label(
    key: str, choices: list[Choice], other_text: str | None, language: str, defn: SurveyDefinition
) -> str:
    """The label of a chosen option in a language (the 'other' text for 'other')."""
    if key == OTHER_KEY and other_text:
        return other_text
    for choice in choices:
        if choice.key == key:
            return defn.localize(choice.label, language)
    return key


def check_condition_key(value: Any, choices: list[Choice], allow_other: bool) -> str | None:
    """A message when a condition compares against a key that is not an option."""
    if value not in option_keys(choices, allow_other):
        return _("'%(value)s' is not one of its choice keys (%(keys)s)") % {
            "value": value,
            "keys": ", ".join(option_keys(choices, allow_other)),
        }
    return None
