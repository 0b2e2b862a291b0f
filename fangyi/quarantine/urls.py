from django.urls import path

from fangyi.quarantine import notice_views, profile_views, self_report_views, site_views, views

app_name = "quarantine"

urlpatterns = [
    # Orders, the board, "my people today" (views.py)
    path("", views.board, name="board"),
    path("mine/", views.mine, name="mine"),
    path("orders/", views.order_list, name="orders"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/<uuid:external_id>/", views.order_detail, name="order"),
    path("orders/<uuid:external_id>/team/", views.order_team, name="order_team"),
    path("orders/<uuid:external_id>/extend/", views.order_extend, name="order_extend"),
    path("orders/<uuid:external_id>/hospital/", views.order_hospital, name="order_hospital"),
    path("orders/<uuid:external_id>/measure/", views.order_measure, name="order_measure"),
    path("orders/<uuid:external_id>/room/", views.order_room, name="order_room"),
    path("orders/<uuid:external_id>/door/", views.order_door, name="order_door"),
    path("orders/<uuid:external_id>/link/", views.order_link, name="order_link"),
    path("orders/<uuid:external_id>/release/", views.order_release, name="order_release"),
    path("checks/<int:pk>/record/", views.check_record, name="check_record"),
    path("checks/<int:pk>/explain/", views.check_explain, name="check_explain"),
    path("tests/<int:pk>/", views.test_record, name="test_record"),
    # Sites and rooms (site_views.py)
    path("sites/", site_views.site_list, name="site_list"),
    path("sites/new/", site_views.site_create, name="site_create"),
    path("sites/<int:pk>/", site_views.site_detail, name="site"),
    path("sites/<int:pk>/rooms/", site_views.site_add_rooms, name="site_add_rooms"),
    path("sites/<int:pk>/staff/", site_views.site_staff, name="site_staff"),
    path("rooms/<int:pk>/cleaned/", site_views.room_cleaned, name="room_cleaned"),
    # Release notices (notice_views.py)
    path(
        "orders/<uuid:external_id>/notice.pdf",
        notice_views.release_notice,
        name="release_notice",
    ),
    # The disease profile page (profile_views.py)
    path("profile/", profile_views.disease_profile, name="profile"),
    # The public self-report link (self_report_views.py)
    path("r/<str:token>/", self_report_views.self_report, name="self_report"),
]
