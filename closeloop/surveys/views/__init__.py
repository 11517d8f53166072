"""Survey pages: list, new, builder, preview, publishing and version history."""

from closeloop.surveys.views.builder import builder, builder_op
from closeloop.surveys.views.pages import (
    survey_close,
    survey_discard,
    survey_export,
    survey_import,
    survey_list,
    survey_new,
    survey_preview,
    survey_preview_frame,
    survey_publish,
    survey_reopen,
    survey_version,
    survey_versions,
)

__all__ = [
    "builder",
    "builder_op",
    "survey_close",
    "survey_discard",
    "survey_export",
    "survey_import",
    "survey_list",
    "survey_new",
    "survey_preview",
    "survey_preview_frame",
    "survey_publish",
    "survey_reopen",
    "survey_version",
    "survey_versions",
]
