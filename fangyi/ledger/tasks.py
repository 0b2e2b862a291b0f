"""Background tasks of the ledger, run by `fangyi db_worker` (django-tasks, database backend)."""

from django.utils import translation
from django_tasks import task

from fangyi.core.audit import Actor
from fangyi.core.models import User
from fangyi.core.tabular import TableError
from fangyi.ledger.importing import DuplicateFile
from fangyi.ledger.models import ImportStatus, PushList


@task()
def import_push_list_task(
    push_list_id: int, user_id: int | None, ip_address: str | None, label: str, language: str
) -> dict:
    """Import a queued push list as the user who started it, in their language."""
    from fangyi.ledger.services import run_import

    user = User.objects.filter(pk=user_id).first() if user_id else None
    actor = Actor(user=user, ip_address=ip_address, label=label)
    push_list = PushList.objects.get(pk=push_list_id)
    if push_list.status != ImportStatus.QUEUED:  # already imported, or restarted meanwhile
        return {"skipped": push_list.status}
    with translation.override(language):
        try:
            return run_import(actor, push_list).as_json()
        except (TableError, DuplicateFile):
            return {"failed": PushList.objects.get(pk=push_list_id).failure_reason}
