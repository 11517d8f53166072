from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "closeloop.automation"
    label = "automation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Domain-event subscriptions (response.completed, case.*, contact.unsubscribed).
        from closeloop.accounts.setup import register_org_setup
        from closeloop.automation import handlers, sending  # noqa: F401
        from closeloop.automation.services import automation_ensure_defaults

        # Review invitations for everyone, and detractors and unhappy CSAT open a Support
        # case, in every new organization.
        register_org_setup(automation_ensure_defaults)
