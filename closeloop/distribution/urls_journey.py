"""Pages of the customer journey, mounted at /o/<org_slug>/journey/."""

from django.urls import path

from closeloop.distribution import views_journey as views

app_name = "journey"
urlpatterns = [
    path("", views.journey_list, name="list"),
    path("<uuid:touchpoint_id>/", views.touchpoint_detail, name="detail"),
    path("<uuid:touchpoint_id>/delete/", views.touchpoint_delete, name="delete"),
    path("<uuid:touchpoint_id>/move/", views.touchpoint_move, name="move"),
    path("<uuid:touchpoint_id>/posts/", views.post_add, name="post_add"),
    path(
        "<uuid:touchpoint_id>/posts/<uuid:listening_post_id>/remove/",
        views.post_remove,
        name="post_remove",
    ),
    path("<uuid:touchpoint_id>/qr/<uuid:survey_id>/", views.touchpoint_qr, name="qr"),
    path("<uuid:touchpoint_id>/poster/<uuid:survey_id>/", views.touchpoint_poster, name="poster"),
]
