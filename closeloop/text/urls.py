"""Text analytics pages, under /o/<org_slug>/text/."""

from django.urls import URLPattern, URLResolver, path

from closeloop.text.views import explorer, themes

app_name = "text"
urlpatterns: list[URLPattern | URLResolver] = [
    path("comments/", explorer.comment_list, name="comments"),
    path(
        "comments/<uuid:comment_id>/correct/",
        explorer.comment_correct_view,
        name="comment_correct",
    ),
    path("comments/<uuid:comment_id>/case/", explorer.comment_case_view, name="comment_case"),
    path("themes/", themes.theme_list, name="themes"),
    path("themes/new/", themes.theme_new, name="theme_new"),
    path("themes/propose/", themes.theme_propose_view, name="theme_propose"),
    path("themes/<uuid:theme_id>/", themes.theme_detail, name="theme"),
    path("themes/<uuid:theme_id>/edit/", themes.theme_edit, name="theme_edit"),
    path("themes/<uuid:theme_id>/accept/", themes.theme_accept_view, name="theme_accept"),
    path("themes/<uuid:theme_id>/merge/", themes.theme_merge_view, name="theme_merge"),
    path("themes/<uuid:theme_id>/reject/", themes.theme_reject_view, name="theme_reject"),
    path("themes/<uuid:theme_id>/summary/", themes.theme_summary_view, name="theme_summary"),
]
