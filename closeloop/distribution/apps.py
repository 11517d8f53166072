from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "closeloop.distribution"
    label = "distribution"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Event handlers (response.completed, contact.unsubscribed, ...) register on import.
        from closeloop.accounts.setup import register_org_setup
        from closeloop.distribution import gdpr, handlers  # noqa: F401
        from closeloop.distribution.journey_services import touchpoints_ensure_defaults

        register_org_setup(lambda org: touchpoints_ensure_defaults(organization=org))
