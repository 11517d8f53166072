"""Announcements: compose for an initiative, preview, send, follow (/o/<org>/announcements/)."""

from django.urls import path

from closeloop.initiatives import views_announcements as views

app_name = "announcements"
urlpatterns = [
    path("", views.announcement_list_view, name="list"),
    path("settings/", views.announcement_settings_view, name="settings"),
    path("new/<uuid:initiative_pk>/", views.announcement_compose_view, name="compose"),
    path("<uuid:pk>/", views.announcement_detail_view, name="detail"),
    path("<uuid:pk>/edit/", views.announcement_edit_view, name="edit"),
    path("<uuid:pk>/preview/", views.announcement_preview_view, name="preview"),
    path("<uuid:pk>/send/", views.announcement_send_view, name="send"),
]
