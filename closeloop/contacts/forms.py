"""Forms for the contact pages; the services validate, these only collect and display."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from closeloop.contacts.choices import AttributeType, ContactKind, DedupeBy
from closeloop.contacts.models import AttributeDefinition, Contact
from closeloop.core.errors import DomainError

ATTR_PREFIX = "attr_"
BOOL_CHOICES = [("", _("Not set")), ("true", _("Yes")), ("false", _("No"))]


class ContactForm(forms.Form):
    """A contact's fields and one typed input per defined attribute."""

    first_name = forms.CharField(label=_("First name"), required=False, max_length=120)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=120)
    email = forms.CharField(
        label=_("Email"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    language = forms.CharField(
        label=_("Language"),
        required=False,
        max_length=16,
        help_text=_("A code such as en, ko or th."),
    )
    external_id = forms.CharField(
        label=_("External id"),
        required=False,
        max_length=200,
        help_text=_("The customer's id in your own systems (shop, CRM)."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)

    def __init__(
        self,
        *args: Any,
        definitions: Iterable[AttributeDefinition],
        contact: Contact | None = None,
        **kwargs: Any,
    ) -> None:
        if contact is not None and "initial" not in kwargs:
            initial: dict[str, Any] = {
                name: getattr(contact, name) or ""
                for name in (
                    "first_name",
                    "last_name",
                    "email",
                    "phone",
                    "language",
                    "external_id",
                    "kind",
                )
            }
            for key, value in contact.attributes.items():
                initial[f"{ATTR_PREFIX}{key}"] = (
                    ("true" if value else "false") if isinstance(value, bool) else value
                )
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.definitions = list(definitions)
        for definition in self.definitions:
            self.fields[f"{ATTR_PREFIX}{definition.key}"] = _attribute_field(definition)

    def service_data(self) -> dict[str, Any]:
        """The cleaned input as the services take it: blank attributes are removed (None)."""
        data: dict[str, Any] = {
            name: self.cleaned_data.get(name, "")
            for name in (
                "first_name",
                "last_name",
                "email",
                "phone",
                "language",
                "external_id",
                "kind",
            )
        }
        data["attributes"] = {
            d.key: (self.cleaned_data.get(f"{ATTR_PREFIX}{d.key}") or None)
            for d in self.definitions
        }
        return data

    def add_service_error(self, error: DomainError) -> None:
        """Show a service's errors on the fields they name."""
        errors: dict[str, str] = getattr(error, "errors", None) or {
            error.field or "": error.message
        }
        for name, message in errors.items():
            if name.startswith("attributes."):
                name = f"{ATTR_PREFIX}{name.split('.', 1)[1]}"
            self.add_error(name if name in self.fields else None, message)


def _attribute_field(definition: AttributeDefinition) -> forms.Field:
    label = definition.label or definition.key
    if definition.type == AttributeType.BOOLEAN:
        return forms.ChoiceField(label=label, choices=BOOL_CHOICES, required=False)
    widget: forms.Widget
    if definition.type == AttributeType.NUMBER:
        widget = forms.NumberInput(attrs={"step": "any"})
    elif definition.type == AttributeType.DATE:
        widget = forms.DateInput(attrs={"type": "date"})
    else:
        widget = forms.TextInput()
    return forms.CharField(label=label, required=False, widget=widget)


class AttributeForm(forms.Form):
    """A new typed attribute."""

    key = forms.CharField(
        label=_("Key"),
        max_length=60,
        help_text=_(
            "Lower-case letters, digits and underscores, e.g. lifetime_value. "
            "Used in the API and imports."
        ),
    )
    label = forms.CharField(label=_("Label"), max_length=120, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=AttributeType.choices)


class ImportUploadForm(forms.Form):
    """A CSV or XLSX file of contacts."""

    file = forms.FileField(
        label=_("File"),
        help_text=_("A .csv or .xlsx file whose first row names the columns. At most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


class ReasonForm(forms.Form):
    """A reason, for unsubscribing or resubscribing a contact."""

    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


DEDUPE_CHOICES = DedupeBy.choices
