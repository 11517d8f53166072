"""Organizations that existed before text analytics get the default theme set too."""

from pathlib import Path

import yaml
from django.db import migrations

DEFAULTS = Path(__file__).resolve().parent.parent / "data" / "default_themes.yaml"


def add_default_themes(apps, schema_editor):
    Organization = apps.get_model("accounts", "Organization")
    Theme = apps.get_model("text", "Theme")
    if not Organization.objects.exists() or not DEFAULTS.exists():
        return
    specs = [
        s for s in (yaml.safe_load(DEFAULTS.read_text(encoding="utf-8")) or []) if s.get("key")
    ]
    for org in Organization.objects.all():
        if Theme.objects.filter(organization=org).exists():
            continue
        Theme.objects.bulk_create(
            [
                Theme(
                    organization=org,
                    key=str(spec["key"])[:64],
                    names=spec.get("names") or {},
                    descriptions=spec.get("descriptions") or {},
                    keywords=spec.get("keywords") or {},
                    examples=spec.get("examples") or {},
                    status="active",
                    is_default=True,
                )
                for spec in specs
            ]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("text", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(add_default_themes, migrations.RunPython.noop)]
