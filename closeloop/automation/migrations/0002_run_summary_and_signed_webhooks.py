import base64
import secrets

import django.db.models.deletion
from django.db import migrations, models


def sign_every_webhook(apps, schema_editor):
    """Webhook actions saved without a signing secret get one, so every call is signed (the
    rule's page and API show it shortened; paste a new one to use a known value)."""
    Rule = apps.get_model("automation", "Rule")
    for rule in Rule.objects.all().iterator():
        actions = list(rule.actions or [])
        changed = False
        for action in actions:
            params = action.get("params") or {}
            if action.get("type") == "webhook" and not params.get("secret"):
                params["secret"] = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
                action["params"] = params
                changed = True
        if changed:
            Rule.objects.filter(pk=rule.pk).update(actions=actions)


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="rulerun",
            name="unmatched_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="rulerun",
            name="rule",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="runs",
                to="automation.rule",
            ),
        ),
        migrations.AddConstraint(
            model_name="rulerun",
            constraint=models.UniqueConstraint(
                condition=models.Q(("rule__isnull", True)),
                fields=("event_key",),
                name="uniq_rule_run_event_summary",
            ),
        ),
        migrations.RunPython(sign_every_webhook, migrations.RunPython.noop),
    ]
