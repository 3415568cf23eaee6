"""Helpers shared by tests: customers with credits and a token, direct database reads."""

from __future__ import annotations

from dataclasses import dataclass

from relais.services import accounts
from relais.services.platform import AccountRef, Platform


@dataclass(frozen=True)
class Customer:
    account: AccountRef
    email: str
    password: str
    token: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_customer(
    platform: Platform, *, email: str = "shop@example.com", credits: int = 100, country="FR"
) -> Customer:
    password = "correct horse"
    await accounts.create_account(
        platform, email=email, password=password, credits=credits, country=country
    )
    account = await accounts.find_account(platform, email=email)
    token = await accounts.create_token(platform, account_id=account.id)
    return Customer(account, email, password, token)


async def fetch_all(platform: Platform, statement) -> list:
    """Rows of a SQLAlchemy statement, read through the platform's own database."""
    return await platform.db.read(lambda conn: conn.execute(statement).all())


async def fetch_value(platform: Platform, statement):
    return await platform.db.read(lambda conn: conn.execute(statement).scalar())
