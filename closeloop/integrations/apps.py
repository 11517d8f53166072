from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "closeloop.integrations"
    label = "integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Webhook/Slack/Teams transports register into the outbox; event handlers subscribe.
        from closeloop.integrations import gdpr, handlers, transports  # noqa: F401
