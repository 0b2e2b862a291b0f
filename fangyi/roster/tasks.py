"""Background tasks of the roster, run by `fangyi db_worker` (django-tasks, database backend)."""

from django.core.exceptions import ValidationError
from django.utils import translation
from django_tasks import task

from fangyi.core.audit import Actor
from fangyi.core.models import User
from fangyi.roster.models import Roster, SolveState


@task()
def solve_roster_task(
    roster_id: int,
    user_id: int | None,
    ip_address: str | None,
    label: str,
    language: str,
    time_limit: float,
) -> dict:
    """Solve a queued roster as the user who asked, in their language."""
    from fangyi.roster.services import solve_roster

    user = User.objects.filter(pk=user_id).first() if user_id else None
    actor = Actor(user=user, ip_address=ip_address, label=label)
    roster = Roster.objects.get(pk=roster_id)
    if roster.solve_state != SolveState.QUEUED:  # solved or restarted meanwhile
        return {"skipped": roster.solve_state}
    with translation.override(language):
        try:
            solution = solve_roster(actor, roster, time_limit=time_limit)
        except ValidationError as error:
            return {"failed": "; ".join(error.messages)}
    return {"status": solution.status, "assignments": len(solution.assignments)}
