from django.apps import AppConfig


class InitiativesConfig(AppConfig):
    name = "closeloop.initiatives"
    label = "initiatives"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from closeloop.initiatives import announcements_sending  # noqa: F401  outbox hooks
