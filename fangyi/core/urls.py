from django.contrib.auth import views as auth_views
from django.urls import path

from fangyi.core import alert_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="core/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("people/", views.people_list, name="people_list"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<uuid:external_id>/", views.person_detail, name="person_detail"),
    path("people/<uuid:external_id>/edit/", views.person_edit, name="person_edit"),
    path(
        "people/<uuid:external_id>/reveal/<str:field>/", views.person_reveal, name="person_reveal"
    ),
    path("audit/", views.audit_log, name="audit_log"),
    path("alerts/", alert_views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/acknowledge/", alert_views.alert_acknowledge, name="alert_acknowledge"),
]
