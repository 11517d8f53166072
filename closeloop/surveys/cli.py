"""`closeloop survey import|export`: keep survey definitions in files (and in git).

Called by closeloop/cli.py once Django is set up; each function prints and returns an exit code.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

from django.utils.translation import gettext as _

from closeloop.accounts.models import Organization
from closeloop.core.errors import DomainError
from closeloop.surveys.models import Survey
from closeloop.surveys.schema import DefinitionError
from closeloop.surveys.services import FORMATS, Format, survey_export, survey_import

EXTENSIONS: dict[str, Format] = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}


def _error(message: str) -> None:
    print(f"closeloop: {message}", file=sys.stderr)


def _print_definition_errors(error: DefinitionError, source: str) -> None:
    for item in error.errors:
        where = source
        if item.get("line"):
            where += f":{item['line']}"
        path = item.get("path") or ""
        print(f"{where}: {path + ': ' if path else ''}{item['message']}", file=sys.stderr)


def survey_import_command(path: str, org_slug: str, fmt: str | None, name: str | None) -> int:
    """Import a JSON or YAML survey document into an organization as a new survey."""
    file = Path(path)
    chosen = fmt or EXTENSIONS.get(file.suffix.lower())
    if chosen not in FORMATS:
        _error(
            _("cannot tell the format of %(path)s; pass --format json or --format yaml")
            % {"path": path}
        )
        return 2
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _error(_("cannot read %(path)s: %(error)s") % {"path": path, "error": exc})
        return 1
    organization = Organization.objects.filter(slug=org_slug).first()
    if organization is None:
        _error(_("there is no organization '%(slug)s'") % {"slug": org_slug})
        return 1
    try:
        survey = survey_import(
            organization=organization,
            actor=None,
            text=text,
            fmt=chosen,  # type: ignore[arg-type]
            name=name,
        )
    except DefinitionError as exc:
        _print_definition_errors(exc, path)
        _error(_("%(path)s was not imported") % {"path": path})
        return 1
    except DomainError as exc:
        _error(exc.message)
        return 1
    print(
        _("Imported survey '%(name)s' (%(id)s) into %(org)s as a draft; publish it to use it.")
        % {"name": survey.name, "id": survey.pk, "org": organization.slug}
    )
    return 0


def survey_export_command(survey_id: str, fmt: str, version: int | None) -> int:
    """Print a survey as a JSON or YAML document that `closeloop survey import` reads back."""
    if fmt not in FORMATS:
        _error(_("unknown format '%(fmt)s'; use json or yaml") % {"fmt": fmt})
        return 2
    try:
        key = uuid.UUID(survey_id)
    except ValueError:
        _error(_("'%(id)s' is not a survey id") % {"id": survey_id})
        return 1
    survey = Survey.objects.filter(pk=key).first()
    if survey is None:
        _error(_("there is no survey %(id)s") % {"id": survey_id})
        return 1
    try:
        text = survey_export(survey=survey, fmt=fmt, version=version)  # type: ignore[arg-type]
    except DomainError as exc:
        _error(exc.message)
        return 1
    sys.stdout.write(text)
    return 0
