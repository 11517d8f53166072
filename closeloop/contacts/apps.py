from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "closeloop.contacts"
    label = "contacts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The built-in GDPR exporters and erasers register themselves on import.
        from closeloop.contacts import gdpr  # noqa: F401
