"""Advocacy pages, under /o/<org_slug>/advocacy/."""

from django.urls import path

from closeloop.advocacy import views

app_name = "advocacy"
urlpatterns = [
    path("", views.site_list, name="list"),
    path("sites/new/", views.site_new, name="site_new"),
    path("sites/<uuid:review_site_id>/", views.site_edit, name="site"),
    path("sites/<uuid:review_site_id>/move/", views.site_move, name="site_move"),
    path("sites/<uuid:review_site_id>/delete/", views.site_delete, name="site_delete"),
    path("settings/", views.review_settings, name="settings"),
    path("invitations/", views.invitation_list, name="invitations"),
    path("pool/", views.pool, name="pool"),
    path("pool.csv", views.pool_csv, name="pool_csv"),
]
