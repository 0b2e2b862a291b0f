from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from fangyi.core.audit import client_ip
from fangyi.testing import TEST_PASSWORD


def _login(client, password: str):
    return client.post(
        reverse("login"), {"username": "alice", "password": password}, REMOTE_ADDR="10.1.2.3"
    )


def test_it_logs_in_and_lands_on_the_home_page(client, alice):
    response = _login(client, TEST_PASSWORD)
    assert response.status_code == 302 and response.url == reverse("home")
    assert "东村" in client.get(reverse("home")).content.decode()


def test_it_says_the_password_was_wrong(client, alice):
    response = _login(client, "wrong")
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()


def test_it_locks_the_account_after_repeated_failures(client, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "wrong").status_code == 200
    locked = _login(client, "wrong")
    assert locked.status_code == 429
    # Even the right password is refused while locked.
    assert _login(client, TEST_PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_it_sends_anonymous_visitors_to_the_login_page(client, db):
    response = client.get(reverse("people_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_it_sends_a_content_security_policy_and_secure_cookies(client, alice):
    response = client.get(reverse("login"))
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_it_logs_out_only_by_post(client, alice):
    client.force_login(alice)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


def test_it_takes_the_address_from_the_proxy_header_only_when_configured(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.9")
    settings.CLIENT_IP_HEADER = ""
    assert client_ip(request) == "127.0.0.1"
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    assert client_ip(request) == "203.0.113.9"
