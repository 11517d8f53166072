"""Staff pages of the idea portal: /o/<org_slug>/ideas/..."""

from django.urls import path

from closeloop.initiatives import views_ideas as v

app_name = "ideas"
urlpatterns = [
    path("", v.idea_list, name="list"),
    path("new/", v.idea_new, name="new"),
    path("moderation/", v.moderation, name="moderation"),
    path("settings/", v.portal_settings, name="settings"),
    path("comments/<uuid:pk>/moderate/", v.comment_moderate, name="comment_moderate"),
    path("visitors/<uuid:pk>/block/", v.visitor_block, name="visitor_block"),
    path("<uuid:pk>/", v.idea_detail, name="detail"),
    path("<uuid:pk>/status/", v.idea_status, name="status"),
    path("<uuid:pk>/moderate/", v.idea_moderate, name="moderate"),
    path("<uuid:pk>/merge/", v.idea_merge, name="merge"),
    path("<uuid:pk>/links/", v.idea_links, name="links"),
    path("<uuid:pk>/reply/", v.idea_reply, name="reply"),
]
