"""Email: one address, checked with Django's validator."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from closeloop.surveys.questions.base import AnswerError, register, single
from closeloop.surveys.questions.text import TextType
from closeloop.surveys.schema import EmailQuestion

EMAIL_MAX = 254


@register
class EmailType(TextType[EmailQuestion]):
    """Normalized value: the address with its domain in lower case."""

    type_name = "email"

    def clean(self, question: EmailQuestion, raw: Any) -> str:
        raw = single(raw)
        if not isinstance(raw, str):
            raise AnswerError(_("Enter a valid email address."))
        address = raw.strip()
        if len(address) > EMAIL_MAX:
            raise AnswerError(_("Enter a valid email address."))
        try:
            validate_email(address)
        except ValidationError:
            raise AnswerError(_("Enter a valid email address.")) from None
        local, _at, domain = address.rpartition("@")
        return f"{local}@{domain.lower()}"
