"""The public idea portal: /ideas/<org_slug>/..."""

from django.urls import path

from closeloop.initiatives import views_portal as v

app_name = "portal"
urlpatterns = [
    path("ideas/<slug:org_slug>/", v.home, name="home"),
    path("ideas/<slug:org_slug>/new/", v.propose, name="propose"),
    path("ideas/<slug:org_slug>/sign-in/", v.signin, name="signin"),
    path("ideas/<slug:org_slug>/sign-out/", v.signout, name="signout"),
    path("ideas/<slug:org_slug>/confirm/<str:token>/", v.confirm, name="confirm"),
    path("ideas/<slug:org_slug>/updates-off/<str:token>/", v.updates_off, name="updates_off"),
    path("ideas/<slug:org_slug>/<int:number>/", v.idea_page, name="idea"),
    path("ideas/<slug:org_slug>/<int:number>/vote/", v.vote, name="vote"),
    path("ideas/<slug:org_slug>/<int:number>/comment/", v.comment, name="comment"),
]
