from django.urls import path

from closeloop.surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_new, name="new"),
    path("import/", views.survey_import, name="import"),
    path("<uuid:survey_id>/", views.builder, name="edit"),
    path("<uuid:survey_id>/edit/", views.builder_op, name="op"),
    path("<uuid:survey_id>/preview/", views.survey_preview, name="preview"),
    path("<uuid:survey_id>/preview/frame/", views.survey_preview_frame, name="preview_frame"),
    path("<uuid:survey_id>/publish/", views.survey_publish, name="publish"),
    path("<uuid:survey_id>/close/", views.survey_close, name="close"),
    path("<uuid:survey_id>/reopen/", views.survey_reopen, name="reopen"),
    path("<uuid:survey_id>/discard/", views.survey_discard, name="discard"),
    path("<uuid:survey_id>/versions/", views.survey_versions, name="versions"),
    path("<uuid:survey_id>/versions/<int:number>/", views.survey_version, name="version"),
    path("<uuid:survey_id>/export/", views.survey_export, name="export"),
]
