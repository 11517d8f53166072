import django.db.models.deletion
from django.db import migrations, models


def clicks_keep_their_band(apps, schema_editor):
    """Clicks from invitation emails carry the invitation's band, as new ones do."""
    ReviewClick = apps.get_model("advocacy", "ReviewClick")
    ReviewInvitation = apps.get_model("advocacy", "ReviewInvitation")
    for band in ("promoters", "passives", "detractors"):
        ReviewClick.objects.filter(
            invitation__in=ReviewInvitation.objects.filter(band=band)
        ).update(band=band)


class Migration(migrations.Migration):

    dependencies = [
        ('advocacy', '0001_initial'),
        ('responses', '0002_personallink_touchpoint'),
    ]

    operations = [
        migrations.AddField(
            model_name='reviewclick',
            name='band',
            field=models.CharField(blank=True, choices=[('promoters', 'Happy: NPS 9-10, CSAT top box, CES 5-7'), ('passives', 'Neutral, or no score'), ('detractors', 'Unhappy: NPS 0-6, CSAT below the middle, CES 1-3')], max_length=20),
        ),
        migrations.AddField(
            model_name='reviewclick',
            name='response',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='responses.response'),
        ),
        migrations.AddField(
            model_name='reviewclick',
            name='source',
            field=models.CharField(choices=[('email', 'Invitation email'), ('ending', "Survey's thank-you page")], default='email', max_length=10),
        ),
        migrations.AddField(
            model_name='reviewinvitation',
            name='metric',
            field=models.CharField(blank=True, max_length=10, verbose_name='metric'),
        ),
        migrations.AddField(
            model_name='reviewsettings',
            name='show_on_ending',
            field=models.BooleanField(default=False, verbose_name="show the review links on the survey's thank-you page"),
        ),
        migrations.AlterField(
            model_name='reviewclick',
            name='invitation',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='clicks', to='advocacy.reviewinvitation'),
        ),
        migrations.AlterField(
            model_name='reviewinvitation',
            name='band',
            field=models.CharField(choices=[('promoters', 'Happy: NPS 9-10, CSAT top box, CES 5-7'), ('passives', 'Neutral, or no score'), ('detractors', 'Unhappy: NPS 0-6, CSAT below the middle, CES 1-3')], max_length=20, verbose_name='score band'),
        ),
        migrations.RunPython(clicks_keep_their_band, migrations.RunPython.noop),
    ]
