from django.urls import path

from closeloop.cases.views import public

app_name = "cases_public"
urlpatterns = [
    path("cases/f/<str:token>/", public.follow_up, name="follow_up"),
]
