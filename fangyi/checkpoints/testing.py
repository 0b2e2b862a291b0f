"""Test-data builders for the checkpoints app, shared by its tests (and the demo's)."""

from fangyi.checkpoints.models import Checkpoint, CheckpointKind
from fangyi.checkpoints.services import create_checkpoint
from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction, User
from fangyi.core.roles import Role
from fangyi.testing import make_user


def make_checkpoint(
    jurisdiction: Jurisdiction,
    name: str = "东村村口",
    kind: str = CheckpointKind.VILLAGE_ENTRANCE,
    **values,
) -> Checkpoint:
    """A checkpoint made through the service (open, round the clock unless told otherwise)."""
    return create_checkpoint(
        Actor.system("test"), name=name, kind=kind, jurisdiction=jurisdiction, **values
    )


def make_staff(username: str, jurisdiction: Jurisdiction, full_name: str = "") -> User:
    """A checkpoint staff account in `jurisdiction`."""
    return make_user(username, Role.CHECKPOINT_STAFF, jurisdiction, full_name)
