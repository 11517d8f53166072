"""Campaigns, invitation email templates and invitations, under /o/<org_slug>/campaigns/."""

from django.urls import path

from closeloop.distribution import views_campaigns as views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("invitations/", views.invitation_list, name="invitations"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_new, name="template_new"),
    path("templates/<uuid:email_template_id>/", views.template_edit, name="template"),
    path("<uuid:campaign_id>/", views.campaign_detail, name="detail"),
    path("<uuid:campaign_id>/edit/", views.campaign_edit, name="edit"),
    path("<uuid:campaign_id>/preview/", views.campaign_preview, name="preview"),
    path("<uuid:campaign_id>/send/", views.campaign_send, name="send"),
    path("<uuid:campaign_id>/cancel/", views.campaign_cancel, name="cancel"),
]
