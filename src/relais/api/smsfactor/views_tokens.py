"""SMSFactor token endpoints (api_reference §1.10 "Tokens"): POST /token, GET /token,
GET /token/:id, DELETE /token/:id. The token value appears only in the POST reply."""

from __future__ import annotations

from typing import Any

from relais.api.smsfactor.endpoint import endpoint, path_id
from relais.core.errors import InvalidField
from relais.core.instant import from_ms
from relais.core.integers import whole_number
from relais.core.schedule import format_paris
from relais.services import sub_accounts, tokens
from relais.services.tokens import TokenInfo


def _ttl(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    return whole_number(raw, "ttl (seconds)", minimum=1)


def _allowed_ips(raw: Any) -> list[str] | None:
    """A JSON list, or the XML form: one `<allowed_ips>` element per address."""
    if raw is None or raw == "":
        return None
    entries = raw if isinstance(raw, list) else [raw]
    for entry in entries:
        if not isinstance(entry, str):
            raise InvalidField(f"allowed_ips: {entry!r} is not an IP address or CIDR network")
    return [entry for entry in entries if entry.strip()]


def _token_fields(info: TokenInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "api_token_id": info.id,
        "created_at": format_paris(from_ms(info.created_at_ms)),
        "expired_at": None
        if info.expires_at_ms is None
        else format_paris(from_ms(info.expires_at_ms)),
        "ttl": info.ttl,
        "is_active": "1" if info.active else "0",
        "allowed_ips": None if info.allowed_ips is None else list(info.allowed_ips),
    }


@endpoint
async def create_token(platform, account, request, body):
    return await _create(platform, account.id, body)


@endpoint
async def create_token_for_sub_account(platform, account, request, body):
    """POST /token/account/:id: a token that acts for one of the caller's sub-accounts."""
    child = await sub_accounts.get_sub_account(
        platform, account=account, sub_account_id=path_id(request)
    )
    return await _create(platform, child.account.id, body)


async def _create(platform, owner_id: int, body: dict[str, Any]) -> dict[str, Any]:
    spec = body.get("token")
    if spec is None or spec == "":
        spec = {}
    if not isinstance(spec, dict):
        raise InvalidField('The body must be {"token": {"name": …, "ttl": …, "allowed_ips": […]}}')
    name = spec.get("name") or ""
    if not isinstance(name, str):
        raise InvalidField("name must be a text")
    created = await tokens.create_token(
        platform,
        account_id=owner_id,
        name=name,
        ttl=_ttl(spec.get("ttl")),
        allowed_ips=_allowed_ips(spec.get("allowed_ips")),
    )
    return {
        "token": created.value,
        "token_id": str(created.token_id),
        "allowed_ips": None if created.allowed_ips is None else list(created.allowed_ips),
    }


@endpoint
async def list_tokens(platform, account, request, body):
    found = await tokens.list_tokens(platform, account_id=account.id)
    return {"tokens": [_token_fields(info) for info in found]}


@endpoint
async def get_token(platform, account, request, body):
    info = await tokens.get_token(platform, account_id=account.id, token_id=path_id(request))
    return {"token": _token_fields(info)}


@endpoint
async def delete_token(platform, account, request, body):
    token_id = path_id(request)
    await tokens.delete_token(platform, account_id=account.id, token_id=token_id)
    return {"deleted_token": token_id}
