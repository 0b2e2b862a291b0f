from django.urls import path

from fangyi.quarantine import self_report_views, views

app_name = "quarantine"

urlpatterns = [
    # Orders, the board, "my people today" (views.py)
    path("orders/<uuid:external_id>/", views.order_detail, name="order"),
    # Sites and rooms (site_views.py)
    # Release notices (notice_views.py)
    # The disease profile page (profile_views.py)
    # The public self-report link (self_report_views.py)
    path("r/<str:token>/", self_report_views.self_report, name="self_report"),
]
