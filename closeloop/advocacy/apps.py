from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "closeloop.advocacy"
    label = "advocacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Consent is checked again when a review invitation leaves the outbox.
        from closeloop.advocacy import sending  # noqa: F401
