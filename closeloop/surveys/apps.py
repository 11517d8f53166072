from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "closeloop.surveys"
    label = "surveys"
    default_auto_field = "django.db.models.BigAutoField"
