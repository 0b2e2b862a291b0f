"""Tracing over the API: a case's transmission chain (the graph the case page draws).

The same scoping as the pages: a case outside the user's jurisdiction is a 404. People are
named as the pages name them (masked when reached through another jurisdiction's case) and
identified by their UUID; no ID number or phone is ever sent.
"""

from uuid import UUID

from django.core.exceptions import PermissionDenied
from ninja import Query, Router, Schema, Status

from fangyi.tracing import selectors

router = Router(tags=["tracing"])


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


class Message(Schema):
    detail: str


class ChainCaseOut(Schema):
    id: UUID
    person_id: UUID
    name: str
    classification: str
    report_date: str
    onset_date: str | None
    jurisdiction_code: str


class ChainNodeOut(Schema):
    id: UUID  # the person's UUID (their page: /people/<id>/)
    name: str
    status: str  # case | quarantined | released | traced
    classification: (
        str  # the person's own case, if any: suspected | confirmed | asymptomatic | cleared
    )
    hop: int  # 0: the case; 1: traced from it; 2: traced from a close contact


class ChainEdgeOut(Schema):
    source: UUID
    target: UUID
    degree: str  # close | secondary


class ChainOut(Schema):
    case: ChainCaseOut
    nodes: list[ChainNodeOut]
    edges: list[ChainEdgeOut]
    truncated: bool


class ChainQuery(Schema):
    hops: int = 2


@router.get(
    "/tracing/cases/{external_id}/chain", response={200: ChainOut, 404: Message, 422: Message}
)
def case_chain(request, external_id: UUID, query: Query[ChainQuery]):
    """The case's transmission chain, `hops` steps from the case person (1 to 3, default 2):
    each person with their status (a case, under quarantine, released, or traced and not yet
    under control) and each link with its degree (close or secondary), from the person traced
    from to the person traced."""
    _require(request, "tracing.view_case")
    if not 1 <= query.hops <= selectors.MAX_HOPS:
        return Status(422, {"detail": f"hops is 1 to {selectors.MAX_HOPS}"})
    case = selectors.case_for_page(request.user, external_id)
    chain = selectors.chain_for_case(request.user, case, query.hops) if case else None
    if chain is None:
        return Status(404, {"detail": "Not Found"})
    data = chain.as_json()
    return Status(
        200,
        {
            "case": {
                "id": case.external_id,
                "person_id": case.person.external_id,
                "name": case.person.name,
                "classification": case.classification,
                "report_date": case.report_date.isoformat(),
                "onset_date": case.onset_date.isoformat() if case.onset_date else None,
                "jurisdiction_code": case.jurisdiction_id,
            },
            "nodes": data["nodes"],
            "edges": data["edges"],
            "truncated": data["truncated"],
        },
    )
