"""The per-process permission and token caches (decision 22) never outlive what they cache."""

from django.contrib.auth.models import Group, Permission

from fangyi.core import api_auth
from fangyi.core.api_auth import token_digest
from fangyi.core.models import ApiToken
from fangyi.core.roles import Role
from fangyi.core.services import set_user_role


def test_it_sees_a_role_change_at_once(alice):
    assert alice.has_perm("ledger.view_ledgerentry")
    set_user_role(alice, Role.VOLUNTEER)
    alice = type(alice).objects.get(pk=alice.pk)
    assert not alice.has_perm("ledger.view_ledgerentry")


def test_it_sees_a_permission_taken_from_a_role_group_at_once(alice):
    assert alice.has_perm("core.reveal_identity")
    group = Group.objects.get(name=Role.VILLAGE_CADRE)
    group.permissions.remove(Permission.objects.get(codename="reveal_identity"))
    alice = type(alice).objects.get(pk=alice.pk)
    assert not alice.has_perm("core.reveal_identity")


def test_it_refuses_a_deactivated_accounts_token_once_the_cache_lapses(client, alice, monkeypatch):
    ApiToken.objects.create(user=alice, name="phone", digest=token_digest("tok"))
    auth = {"HTTP_AUTHORIZATION": "Bearer tok"}
    assert client.get("/api/v1/people", **auth).status_code == 200
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    monkeypatch.setattr(api_auth, "TOKEN_CACHE_SECONDS", 0.0)
    assert client.get("/api/v1/people", **auth).status_code == 401
