from django.urls import path

from fangyi.command import views

app_name = "command"

urlpatterns = [
    # --- dashboard (helper: dashboard) ---
    path("", views.dashboard, name="dashboard"),
    path("live/", views.dashboard_live, name="dashboard_live"),
    # --- briefings (helper: briefing-docs) ---
]
