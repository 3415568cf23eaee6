"""SMSFactor opt-out endpoints (api_reference §1.8, §1.5.3): the blacklist (GET, POST
/blacklist, DELETE /blacklist/contact/:id), the NPAI list (GET, POST /npai, and
DELETE /npai/contact/:id by analogy), and a campaign's STOPs and NPAI
(GET /campaign/:id/blacklist, GET and PUT /campaign/:id/npai)."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from relais.api.smsfactor.endpoint import endpoint, int_param, path_id
from relais.api.smsfactor.translate import as_list, text_field
from relais.core.errors import InvalidField, MissingField
from relais.core.instant import from_ms
from relais.core.schedule import format_paris
from relais.services import opt_outs
from relais.services.opt_outs import OptOutContact
from relais.store.opt_outs import OptOutRow

INFOS = ("info1", "info2", "info3", "info4")


def _contact(entry: Any) -> OptOutContact:
    """`{"value": "336…", "info1": …}`, the XML attribute form (which reads the same), or a
    bare number."""
    if not isinstance(entry, dict):
        entry = {"value": entry}
    try:
        number = text_field(entry.get("value"))
        infos = {name: text_field(entry.get(name)) for name in INFOS}
    except InvalidField:
        raise InvalidField("A contact's value and info1..4 must be texts") from None
    if not number:
        raise MissingField("A contact has no value (its number)")
    # An empty info is no info (stored as NULL), as in contact lists.
    return OptOutContact(number, **{name: value or None for name, value in infos.items()})


def _contacts(body: dict[str, Any], root: str) -> list[OptOutContact]:
    """`{root: {"contacts": {"gsm": [...]}}}`; the XML example of the reference writes the
    root as <list>, so `list` is read too."""
    spec = body.get(root, body.get("list"))
    if not isinstance(spec, dict) or not isinstance(spec.get("contacts"), dict):
        raise MissingField(f'The body must be {{"{root}": {{"contacts": {{"gsm": [...]}}}}}}')
    entries = as_list(spec["contacts"].get("gsm"))
    if not entries:
        raise MissingField(f"{root}.contacts.gsm holds no contact")
    return [_contact(entry) for entry in entries]


def _entry_fields(row: OptOutRow) -> dict[str, Any]:
    """One GET /blacklist or GET /npai entry, as the reference shows it."""
    return {
        "id": str(row.id),
        "destination": row.destination,
        "date": format_paris(from_ms(row.created_at)),
        **{name: getattr(row, name) for name in INFOS},
        "user_information": [],
        "campaign_id": None if row.campaign_id is None else str(row.campaign_id),
        "batch_id": None,
    }


def _campaign_entry(row: OptOutRow) -> dict[str, Any]:
    """One item of a campaign's `stops` or `npai`."""
    return {
        "destination": row.destination,
        **{name: getattr(row, name) for name in INFOS},
        "date": format_paris(from_ms(row.created_at)),
    }


def _lister(kind: opt_outs.Kind):
    async def handler(platform, account, request, body):
        params = request.query_params
        page = await opt_outs.list_opt_outs(
            platform,
            account=account,
            kind=kind,
            start=int_param(params, "start", 0),
            length=int_param(params, "length", 100),
        )
        return {
            "list": [_entry_fields(row) for row in page.rows],
            "totalRecords": page.total,
            "totalDisplayRecords": page.total,
        }

    handler.__name__ = f"list_{kind}"
    return endpoint(handler)


def _adder(kind: opt_outs.Kind):
    async def handler(platform, account, request, body):
        contacts = _contacts(body, kind)
        added = await opt_outs.add_opt_outs(platform, account=account, kind=kind, contacts=contacts)
        # `invalid` is ours: entries that were not phone numbers (and were not added).
        return {"added_contacts": added.added, "invalid": added.invalid}

    handler.__name__ = f"add_to_{kind}"
    return endpoint(handler)


def _remover(kind: opt_outs.Kind):
    async def handler(platform, account, request, body):
        await opt_outs.delete_opt_out(
            platform, account=account, kind=kind, entry_id=path_id(request)
        )
        return {}

    handler.__name__ = f"remove_from_{kind}"
    return endpoint(handler)


@endpoint
async def campaign_stops(platform, account, request, body):
    rows = await opt_outs.campaign_stops(platform, account=account, campaign_id=path_id(request))
    return {"stops": [_campaign_entry(row) for row in rows]}


@endpoint
async def campaign_npai(platform, account, request, body):
    rows = await opt_outs.campaign_npai(platform, account=account, campaign_id=path_id(request))
    return {"npai": [_campaign_entry(row) for row in rows]}


@endpoint
async def add_campaign_npai(platform, account, request, body):
    """Status and message only (the Java SDK's CampaignNpaiToBlacklistResponse is empty)."""
    await opt_outs.add_campaign_npai(platform, account=account, campaign_id=path_id(request))
    return {}


routes = [
    Route("/blacklist", _lister("blacklist"), methods=["GET"]),
    Route("/blacklist", _adder("blacklist"), methods=["POST"]),
    Route("/blacklist/contact/{id}", _remover("blacklist"), methods=["DELETE"]),
    Route("/npai", _lister("npai"), methods=["GET"]),
    Route("/npai", _adder("npai"), methods=["POST"]),
    Route("/npai/contact/{id}", _remover("npai"), methods=["DELETE"]),
    Route("/campaign/{id}/blacklist", campaign_stops, methods=["GET"]),
    Route("/campaign/{id}/npai", campaign_npai, methods=["GET"]),
    Route("/campaign/{id}/npai", add_campaign_npai, methods=["PUT"]),
]
