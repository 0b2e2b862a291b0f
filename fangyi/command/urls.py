from django.urls import path

from fangyi.command import briefing_views, views

app_name = "command"

urlpatterns = [
    # --- dashboard (helper: dashboard) ---
    path("", views.dashboard, name="dashboard"),
    path("live/", views.dashboard_live, name="dashboard_live"),
    # --- briefings (helper: briefing-docs) ---
    path("briefings/", briefing_views.briefing_list, name="briefings"),
    path("briefings/generate/", briefing_views.briefing_generate, name="briefing_generate"),
    path("briefings/<int:pk>/", briefing_views.briefing_detail, name="briefing"),
    path("briefings/<int:pk>/notes/", briefing_views.briefing_notes, name="briefing_notes"),
    path("briefings/<int:pk>/publish/", briefing_views.briefing_publish, name="briefing_publish"),
    path(
        "briefings/<int:pk>/regenerate/",
        briefing_views.briefing_regenerate,
        name="briefing_regenerate",
    ),
    path("briefings/<int:pk>/briefing.pdf", briefing_views.briefing_pdf, name="briefing_pdf"),
    path("briefings/<int:pk>/briefing.xlsx", briefing_views.briefing_xlsx, name="briefing_xlsx"),
]
