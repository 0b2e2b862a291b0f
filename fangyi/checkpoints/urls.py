from django.urls import path, re_path

from fangyi.checkpoints import (
    checkpoint_views,
    lockdown_views,
    public_views,
    registration_views,
    staff_views,
)

app_name = "checkpoints"

urlpatterns = [
    # The staff registration screen, an installable offline page (staff_views.py)
    path("register/", staff_views.register, name="register"),
    path("register/suggestions/", staff_views.register_suggestions, name="register_suggestions"),
    path("sw.js", staff_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", staff_views.manifest, name="manifest"),
    # Checkpoint setup and posters (checkpoint_views.py)
    path("", checkpoint_views.checkpoint_list, name="checkpoint_list"),
    path("new/", checkpoint_views.checkpoint_create, name="checkpoint_create"),
    re_path(
        rf"^(?P<code>{checkpoint_views.CODE})/$",
        checkpoint_views.checkpoint_detail,
        name="checkpoint_detail",
    ),
    re_path(
        rf"^(?P<code>{checkpoint_views.CODE})/edit/$",
        checkpoint_views.checkpoint_edit,
        name="checkpoint_edit",
    ),
    re_path(
        rf"^(?P<code>{checkpoint_views.CODE})/poster\.pdf$",
        checkpoint_views.poster_pdf,
        name="poster_pdf",
    ),
    re_path(
        rf"^(?P<code>{checkpoint_views.CODE})/poster\.png$",
        checkpoint_views.poster_png,
        name="poster_png",
    ),
    # Travellers' self-registration behind the poster's QR code, public (public_views.py)
    path("self/<str:code>/", public_views.self_register, name="self_register"),
    path("self/<str:code>/done/", public_views.self_done, name="self_done"),
    # Registrations and statistics (registration_views.py)
    path("registrations/", registration_views.registration_list, name="registrations"),
    path(
        "registrations/<uuid:external_id>/",
        registration_views.registration_detail,
        name="registration",
    ),
    path(
        "registrations/<uuid:external_id>/passengers/<int:position>/reveal/<str:field>/",
        registration_views.passenger_reveal,
        name="passenger_reveal",
    ),
    path("statistics/", registration_views.statistics, name="statistics"),
    # Village lockdowns and passes (lockdown_views.py)
    path("lockdowns/", lockdown_views.lockdown_list, name="lockdowns"),
    path("lockdowns/new/", lockdown_views.lockdown_seal, name="lockdown_seal"),
    path("lockdowns/<int:pk>/", lockdown_views.lockdown_detail, name="lockdown"),
    path("lockdowns/<int:pk>/lift/", lockdown_views.lockdown_lift, name="lockdown_lift"),
    path("lockdowns/<int:pk>/passes/new/", lockdown_views.pass_issue, name="pass_issue"),
    path("passes/<str:code>/", lockdown_views.pass_print, name="pass"),
    path("passes/<str:code>/revoke/", lockdown_views.pass_revoke, name="pass_revoke"),
]
