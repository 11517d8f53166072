from django.apps import AppConfig


class TextConfig(AppConfig):
    name = "closeloop.text"
    label = "text"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Open answers become comments (response.completed/imported), a contact's comments join
        # GDPR export and erasure, themes become key-driver candidates, activity verbs get their
        # labels.
        from closeloop.accounts.setup import register_org_setup
        from closeloop.core.verbs import register_verbs
        from closeloop.text import driver_source, gdpr, handlers  # noqa: F401
        from closeloop.text.services import themes_ensure_defaults
        from closeloop.text.verbs import VERBS

        register_verbs(VERBS)
        # Every new organization starts with the default theme set.
        register_org_setup(themes_ensure_defaults)
