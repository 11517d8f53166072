from django.urls import path

from closeloop.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("signup/", views.signup_view, name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitations/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
    path("language/", views.set_language, name="set_language"),
    path("profile/", views.profile, name="profile"),
    path("orgs/new/", views.org_create_view, name="org_create"),
    path("o/<slug:org_slug>/", views.org_home, name="org_home"),
    path("o/<slug:org_slug>/settings/", views.org_settings, name="org_settings"),
    path("o/<slug:org_slug>/members/", views.members, name="members"),
    path("o/<slug:org_slug>/members/<uuid:membership_id>/", views.member_edit, name="member_edit"),
    path(
        "o/<slug:org_slug>/members/<uuid:membership_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path(
        "o/<slug:org_slug>/invitations/<uuid:invitation_id>/revoke/",
        views.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("o/<slug:org_slug>/teams/", views.teams, name="teams"),
    path("o/<slug:org_slug>/teams/<uuid:team_id>/", views.team_edit, name="team_edit"),
    path(
        "o/<slug:org_slug>/teams/<uuid:team_id>/delete/", views.team_delete_view, name="team_delete"
    ),
    path("o/<slug:org_slug>/api-keys/", views.api_keys, name="api_keys"),
    path(
        "o/<slug:org_slug>/api-keys/<uuid:key_id>/revoke/",
        views.api_key_revoke_view,
        name="api_key_revoke",
    ),
    path("o/<slug:org_slug>/audit/", views.audit, name="audit"),
]
