"""Staff pages for website widgets (under /o/<org_slug>/widgets/)."""

from django.urls import path

from closeloop.distribution import views_widgets as views

app_name = "widgets"
urlpatterns = [
    path("", views.widget_list, name="list"),
    path("new/", views.widget_new, name="new"),
    path("<uuid:widget_id>/", views.widget_edit, name="edit"),
    path("<uuid:widget_id>/delete/", views.widget_delete, name="delete"),
    path("<uuid:widget_id>/secret/", views.widget_secret_regenerate, name="secret"),
    path("<uuid:widget_id>/preview/", views.widget_preview, name="preview"),
]
