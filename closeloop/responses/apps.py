from django.apps import AppConfig


class ResponsesConfig(AppConfig):
    name = "closeloop.responses"
    label = "responses"
    default_auto_field = "django.db.models.BigAutoField"
