"""SMSFactor contact lists (api_reference §1.7): POST /list (create, or add contacts with
`listId` / `list_id`), GET /lists, GET /list/:id, PUT /list/deduplicate/:id,
DELETE /list/contact/:id, PUT /list/contact/:id, DELETE /list/:id, PUT /list/:id/npai/clear.

List ids are integers (the Java SDK types them Integer); contact ids are strings, as the
documentation shows them. In XML, `lists` holds one `<list>` per list and the contacts of
GET /list/:id one `<contact>` each inside `<list>`."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from relais.api.smsfactor.endpoint import endpoint, import_endpoint, int_param, path_id, resource_id
from relais.api.smsfactor.formats import XmlItems
from relais.api.smsfactor.translate import as_list, named_text, text_field
from relais.core.errors import InvalidField, MissingField
from relais.core.instant import from_ms
from relais.core.schedule import format_paris
from relais.services import list_import, lists
from relais.services.list_import import ImportReport, NewContact
from relais.services.lists import ContactRow

INFOS = ("info1", "info2", "info3", "info4")


def _contact(entry: Any) -> NewContact:
    """One `gsm` entry: {"value": …, "info1": …} in JSON or XML elements, `<gsm info1="…">
    number</gsm>` in XML attributes, or a bare number."""
    if not isinstance(entry, dict):
        value = text_field(entry) if not isinstance(entry, list) else None
        if not value:
            raise MissingField("A contact has no value (its phone number)")
        return NewContact(value)
    value = named_text(entry, "value")
    if not value:
        raise MissingField("A contact has no value (its phone number)")
    return NewContact(value, *(named_text(entry, name) for name in INFOS))


def _contacts(spec: dict[str, Any]) -> list[NewContact]:
    raw = spec.get("contacts")
    if raw is None or raw == "":
        return []
    if not isinstance(raw, dict):
        raise InvalidField('contacts must be {"gsm": [{"value": …, "info1": …}, …]}')
    return [_contact(entry) for entry in as_list(raw.get("gsm"))]


def _list_id(spec: dict[str, Any]) -> int | None:
    raw = spec.get("listId", spec.get("list_id"))
    if raw is None or raw == "":
        return None
    return resource_id(named_text({"id": raw}, "id") or "", what="list")


def _import_fields(report: ImportReport) -> dict[str, Any]:
    return {
        "contacts": report.contacts,
        "invalid": report.invalid,
        "duplicates": report.duplicates,
        "id": report.list_id,
    }


def _contact_fields(row: ContactRow) -> dict[str, Any]:
    """A contact as the documentation shows it: infos that are not set are left out."""
    fields: dict[str, Any] = {"id": str(row.id), "destination": row.destination}
    for name in INFOS:
        value = getattr(row, name)
        if value is not None:
            fields[name] = value
    return fields


@import_endpoint
async def post_list(platform, account, request, body):
    spec = body.get("list")
    if not isinstance(spec, dict):
        raise MissingField('The body must be {"list": {"name": …, "contacts": {"gsm": […]}}}')
    list_id = _list_id(spec)
    contacts = _contacts(spec)
    if list_id is None:
        report = await list_import.create_list(
            platform, account=account, name=named_text(spec, "name"), contacts=contacts
        )
    else:
        report = await list_import.add_contacts(
            platform, account=account, list_id=list_id, contacts=contacts
        )
    return _import_fields(report)


@endpoint
async def get_lists(platform, account, request, body):
    found = await lists.list_lists(platform, account=account)
    return {
        "lists": XmlItems(
            "list",
            [
                {
                    "id": summary.id,
                    "name": summary.name,
                    "date": format_paris(from_ms(summary.created_at)),
                    "count": summary.count,
                }
                for summary in found
            ],
        )
    }


@endpoint
async def get_list(platform, account, request, body):
    params = request.query_params
    found = await lists.get_list(
        platform,
        account=account,
        list_id=path_id(request),
        search=params.get("search"),
        start=int_param(params, "start", 0),
        length=int_param(params, "length", lists.MAX_PAGE),
    )
    return {
        "list": XmlItems("contact", [_contact_fields(row) for row in found.page.rows]),
        "name": found.name,
        "contacts": str(found.page.total),
        "totalRecords": found.page.total,
        "totalDisplayRecords": found.page.filtered,
    }


@endpoint
async def delete_list(platform, account, request, body):
    await lists.delete_list(platform, account=account, list_id=path_id(request))
    return {}


@endpoint
async def deduplicate_list(platform, account, request, body):
    removed = await lists.deduplicate_list(platform, account=account, list_id=path_id(request))
    return {"removed": removed}


@endpoint
async def clear_npai(platform, account, request, body):
    removed = await lists.clear_npai(platform, account=account, list_id=path_id(request))
    return {"removed": removed}


@endpoint
async def delete_contact(platform, account, request, body):
    await lists.delete_contact(platform, account=account, contact_id=path_id(request))
    return {}


def _contact_spec(body: dict[str, Any]) -> dict[str, Any]:
    """The contact's fields at the top level (the Elixir client), or wrapped in one object
    such as {"contact": {…}} or an XML root element (`<contact>…` or `<gsm info1="…">…`)."""
    if any(name in body for name in ("value", *INFOS)):
        return body
    if len(body) == 1:
        (inner,) = body.values()
        if isinstance(inner, dict):
            return inner
    raise MissingField('The body must be {"value": …, "info1": …, …}')


@endpoint
async def update_contact(platform, account, request, body):
    contact_id = path_id(request)
    spec = _contact_spec(body)
    await lists.update_contact(
        platform,
        account=account,
        contact_id=contact_id,
        value=named_text(spec, "value"),
        infos={name: named_text(spec, name) for name in INFOS if name in spec},
    )
    return {}


routes = [
    Route("/list", post_list, methods=["POST"]),
    Route("/lists", get_lists, methods=["GET"]),
    Route("/list/deduplicate/{id}", deduplicate_list, methods=["PUT"]),
    Route("/list/contact/{id}", delete_contact, methods=["DELETE"]),
    Route("/list/contact/{id}", update_contact, methods=["PUT"]),
    Route("/list/{id}/npai/clear", clear_npai, methods=["PUT"]),
    Route("/list/{id}", get_list, methods=["GET"]),
    Route("/list/{id}", delete_list, methods=["DELETE"]),
]
