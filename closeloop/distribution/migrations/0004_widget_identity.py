# Widget identity verification, per-visitor rate limit, and the listening post a widget made.

import secrets

import django.db.models.deletion
from django.db import migrations, models

import closeloop.distribution.models


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Each existing widget gets its own secret, the new per-key ceiling if it kept the old
    default, and the widget listening post at its touchpoint (which it made)."""
    Widget = apps.get_model("distribution", "Widget")
    ListeningPost = apps.get_model("distribution", "ListeningPost")
    for widget in Widget.objects.all():
        widget.identity_secret = secrets.token_hex(32)
        if widget.rate_limit_per_minute == 120:
            widget.rate_limit_per_minute = 6000
        if widget.touchpoint_id is not None:
            widget.listening_post = ListeningPost.objects.filter(
                touchpoint_id=widget.touchpoint_id, survey_id=widget.survey_id, channel="widget"
            ).first()
        widget.save(
            update_fields=["identity_secret", "rate_limit_per_minute", "listening_post"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("distribution", "0003_event_duplicates_invitation_cancelled"),
    ]

    operations = [
        migrations.AddField(
            model_name="widget",
            name="identity_secret",
            field=models.CharField(
                default=closeloop.distribution.models.new_identity_secret, max_length=64
            ),
        ),
        migrations.AddField(
            model_name="widget",
            name="listening_post",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="widgets",
                to="distribution.listeningpost",
            ),
        ),
        migrations.AddField(
            model_name="widget",
            name="rate_limit_per_ip",
            field=models.PositiveIntegerField(
                default=60, verbose_name="requests per minute per visitor"
            ),
        ),
        migrations.AddField(
            model_name="widget",
            name="require_verified_identity",
            field=models.BooleanField(default=False, verbose_name="require verified identity"),
        ),
        migrations.AlterField(
            model_name="widget",
            name="rate_limit_per_minute",
            field=models.PositiveIntegerField(default=6000, verbose_name="requests per minute"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
