from django.urls import path

from closeloop.cases.views import detail, loop, queue, settings

app_name = "cases"
urlpatterns = [
    path("", queue.case_list, name="list"),
    path("board/", queue.case_board, name="board"),
    path("new/", queue.case_new, name="new"),
    path("bulk-assign/", queue.case_bulk_assign, name="bulk_assign"),
    path("loop/", loop.loop_page, name="loop"),
    path("<uuid:case_id>/", detail.case_detail, name="detail"),
    path("<uuid:case_id>/reply/", detail.case_reply, name="reply"),
    path("<uuid:case_id>/note/", detail.case_note, name="note"),
    path("<uuid:case_id>/assign/", detail.case_assign, name="assign"),
    path("<uuid:case_id>/priority/", detail.case_priority, name="priority"),
    path("<uuid:case_id>/status/", detail.case_status, name="status"),
    path("<uuid:case_id>/resolve/", detail.case_resolve, name="resolve"),
    path("<uuid:case_id>/tags/", detail.case_tags, name="tags"),
    path("root-causes/", settings.root_cause_list, name="root_causes"),
    path("root-causes/<uuid:root_cause_id>/", settings.root_cause_edit, name="root_cause_edit"),
    path("sla/", settings.sla_settings, name="sla"),
    path("sla/<uuid:sla_policy_id>/", settings.sla_policy_edit, name="sla_policy_edit"),
    path("sla/hours/", settings.business_hours_edit, name="business_hours"),
    path("sla/holidays/", settings.holiday_add, name="holiday_add"),
    path("sla/holidays/<uuid:holiday_id>/delete/", settings.holiday_delete, name="holiday_delete"),
    path("templates/", settings.template_list, name="templates"),
    path("templates/<uuid:reply_template_id>/", settings.template_edit, name="template_edit"),
]
