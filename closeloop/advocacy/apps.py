from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "closeloop.advocacy"
    label = "advocacy"
    default_auto_field = "django.db.models.BigAutoField"
