"""URLs of the outer loop (initiatives), under /o/<org_slug>/initiatives/."""

from django.urls import URLPattern, path

from closeloop.initiatives import views

app_name = "initiatives"
urlpatterns: list[URLPattern] = [
    path("", views.initiative_list, name="list"),
    path("board/", views.initiative_board, name="board"),
    path("new/", views.initiative_create, name="create"),
    path("<uuid:pk>/", views.initiative_detail, name="detail"),
    path("<uuid:pk>/edit/", views.initiative_edit, name="edit"),
    path("<uuid:pk>/move/", views.initiative_move, name="transition"),
    path("<uuid:pk>/links/", views.initiative_links, name="links"),
]
