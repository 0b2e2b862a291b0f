"""Test-data builders shared by every app's tests (the named users live in fangyi/conftest.py)."""

import itertools
import threading
from datetime import date, timedelta

from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection

from fangyi.core.audit import Actor
from fangyi.core.identity import compose_id_number
from fangyi.core.models import LEVEL_BY_CODE_LENGTH, PARENT_CODE_LENGTH, Jurisdiction, Person, User
from fangyi.core.roles import Role, sync_role_groups
from fangyi.core.services import create_person, create_user

TEST_PASSWORD = "correct-horse-battery-staple"
_sequence = itertools.count(1)


def create_jurisdiction(code: str, name: str) -> Jurisdiction:
    parent = PARENT_CODE_LENGTH.get(len(code))
    parent_id = (
        code[:parent]
        if parent and Jurisdiction.objects.filter(code=code[:parent]).exists()
        else None
    )
    return Jurisdiction.objects.create(
        code=code, name=name, level=LEVEL_BY_CODE_LENGTH[len(code)], parent_id=parent_id
    )


def unique_id_number(born: date = date(1980, 5, 17), area: str = "999901") -> str:
    n = next(_sequence)
    return compose_id_number(area, born + timedelta(days=n // 1000), n % 1000)


def unique_phone() -> str:
    return f"139{next(_sequence):08d}"


def make_person(jurisdiction: Jurisdiction, name: str = "王金水", **values) -> Person:
    values.setdefault("id_number", unique_id_number())
    values.setdefault("phone", unique_phone())
    return create_person(Actor.system("test"), name=name, jurisdiction=jurisdiction, **values)


def make_user(username: str, role: Role, jurisdiction: Jurisdiction, full_name: str = "") -> User:
    if not Group.objects.filter(name=role).exists():
        # A transactional test (browser, task worker) ends by flushing every table, including
        # the groups the migrations made.
        sync_role_groups(apps)
    return create_user(
        username, TEST_PASSWORD, role=role, jurisdiction=jurisdiction, full_name=full_name
    )


class Worker(threading.Thread):
    """Runs `work` on its own database connection, keeping its result or its exception (for
    the PostgreSQL concurrency tests)."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work = work
        self.result = None
        self.error = None

    def run(self):
        try:
            self.result = self.work()
        except Exception as error:  # the test inspects it
            self.error = error
        finally:
            connection.close()

    def finish(self) -> "Worker":
        self.join(timeout=60)
        assert not self.is_alive(), "a worker is stuck"
        return self


def all_at_once(works) -> list[Worker]:
    """Start one Worker per callable, let them all go at the same moment, wait for them."""
    barrier = threading.Barrier(len(works))

    def synchronized(work):
        def run():
            barrier.wait(timeout=10)
            return work()

        return run

    workers = [Worker(synchronized(w)) for w in works]
    for worker in workers:
        worker.start()
    return [w.finish() for w in workers]
