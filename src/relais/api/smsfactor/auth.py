"""Who is calling: every credential form SMSFactor clients use (api_reference §1.1), tried
in this order: Bearer header, `token` query, `sfusername`/`sfpassword` headers, body
`authentication` (or the legacy spelling `authentification`), `username`/`password` query."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from relais.api.client_ip import client_address
from relais.core.errors import AuthenticationFailed
from relais.services import accounts, tokens
from relais.services.platform import AccountRef, Platform


def has_header_credentials(request: Request) -> bool:
    headers = request.headers
    query = request.query_params
    return (
        "authorization" in headers
        or "token" in query
        or "sfusername" in headers
        or ("username" in query and "password" in query)
    )


def _body_credentials(body: dict[str, Any]) -> dict[str, Any] | None:
    for root in body.values():
        if isinstance(root, dict):
            found = root.get("authentication") or root.get("authentification")
            if isinstance(found, dict):
                return found
    return None


async def _token(platform: Platform, request: Request, token: str) -> AccountRef:
    return await tokens.authenticate_token(
        platform, token, client_ip=client_address(request, platform.settings.trusted_proxies)
    )


async def _password(platform: Platform, request: Request, email: str, password: str) -> AccountRef:
    return await accounts.authenticate_password(
        platform,
        email,
        password,
        client_ip=client_address(request, platform.settings.trusted_proxies),
    )


async def authenticate(platform: Platform, request: Request, body: dict[str, Any]) -> AccountRef:
    headers = request.headers
    query = request.query_params
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            raise AuthenticationFailed("Token invalide")
        return await _token(platform, request, token.strip())
    query_token = query.get("token")
    if query_token is not None:
        return await _token(platform, request, query_token)
    username = headers.get("sfusername")
    if username is not None:
        return await _password(platform, request, username, headers.get("sfpassword", ""))
    found = _body_credentials(body)
    if found is not None:
        if found.get("token"):
            return await _token(platform, request, str(found["token"]))
        return await _password(
            platform, request, str(found.get("username", "")), str(found.get("password", ""))
        )
    if "username" in query:
        return await _password(platform, request, query["username"], query.get("password", ""))
    raise AuthenticationFailed("Aucun identifiant: envoyez Authorization: Bearer <token>")
