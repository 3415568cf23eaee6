"""Settings read once from the environment (`RELAIS_*`); nothing else reads os.environ."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from relais.core.errors import ConfigError, InvalidField
from relais.core.optout import DEFAULT_STOP_KEYWORDS
from relais.core.status import FINAL_STATUSES, MessageStatus
from relais.core.webhook_retry import DEFAULT_SCHEDULE, parse_schedule
from relais.core.webhook_targets import check_url


def default_database_url(env: dict[str, str]) -> str:
    """One place whatever the current directory, so `relais serve` and a later `relais
    account list` run from elsewhere meet the same database: $XDG_DATA_HOME/relais/relais.db
    (~/.local/share/relais/relais.db)."""
    data = env.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return f"sqlite:///{os.path.join(os.path.abspath(data), 'relais', 'relais.db')}"


DEFAULT_DATABASE_URL = default_database_url(dict(os.environ))
# What marketing texts end with (api_reference §1.11 leaves the exact text open; 36179 is
# the short code of the French STOP SMS service). With its newline: 14 characters.
DEFAULT_STOP_NOTICE = "STOP au 36179"


def _env_int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, not {raw!r}") from None


def _env_count(env: dict[str, str], name: str, default: int) -> int:
    value = _env_int(env, name, default)
    if value < 0:
        raise ConfigError(f"{name} must be 0 (off) or more, not {value}")
    return value


def _env_bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _env_networks(env: dict[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated IP addresses / CIDR networks, in canonical form."""
    import ipaddress

    found: list[str] = []
    for item in (env.get(name) or "").split(","):
        if not item.strip():
            continue
        try:
            found.append(str(ipaddress.ip_network(item.strip(), strict=False)))
        except ValueError:
            raise ConfigError(f"{name}: {item.strip()!r} is not an IP address or network") from None
    return tuple(found)


def _env_short_link_base(env: dict[str, str]) -> str | None:
    """`RELAIS_SHORT_LINK_BASE`: an http(s) URL short codes are appended to (after a "/")."""
    raw = (env.get("RELAIS_SHORT_LINK_BASE") or "").strip()
    if not raw:
        return None
    try:
        check_url(raw, what="The short link base")
    except InvalidField as exc:
        raise ConfigError(f"RELAIS_SHORT_LINK_BASE: {exc.detail}") from None
    if "?" in raw or "#" in raw:
        raise ConfigError("RELAIS_SHORT_LINK_BASE must not have a query or a fragment")
    return raw.rstrip("/")


def parse_outcome_mix(raw: str) -> dict[str, float]:
    """`delivered=0.9,not_delivered=0.05,expired=0.05` -> weights by final status."""
    mix: dict[str, float] = {}
    for item in raw.split(","):
        if not item.strip():
            continue
        name, _, weight = item.partition("=")
        name = name.strip().lower()
        try:
            status = MessageStatus(name)
            value = float(weight)
        except ValueError:
            raise ConfigError(f"bad simulator outcome {item.strip()!r}") from None
        if status not in FINAL_STATUSES or value < 0:
            raise ConfigError(f"bad simulator outcome {item.strip()!r}")
        mix[status.value] = value
    if not mix or sum(mix.values()) <= 0:
        raise ConfigError("the simulator outcome mix needs at least one positive weight")
    return mix


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8080
    # Response format when the client sends no usable Accept header (SMSFactor: XML).
    default_format: str = "xml"
    dispatcher_enabled: bool = True
    dispatch_batch_size: int = 500
    claim_lease_seconds: int = 60
    simulator_receipt_delay_ms: int = 200
    simulator_outcomes: dict[str, float] = field(default_factory=lambda: {"delivered": 1.0})
    simulator_seed: int | None = None
    max_parts: int = 10
    builtin_simulator: bool = True
    validity_hours: int = 48
    bind_lease_seconds: int = 15
    reconcile_seconds: float = 2.0
    # How often a serving process looks at the cache epochs: a deleted token, a suspension or
    # an operator's edit made in another process applies here within this delay.
    cache_poll_seconds: float = 1.0
    # How often the retention purge runs (docs/retention.md).
    retention_purge_seconds: float = 3600.0
    stop_keywords: tuple[str, ...] = DEFAULT_STOP_KEYWORDS
    sqlite_synchronous: str = "FULL"
    # CIDR networks of reverse proxies whose X-Forwarded-For is believed (none by default).
    trusted_proxies: tuple[str, ...] = ()
    # Whether POST /account may create main accounts (otherwise only the operator can).
    open_signup: bool = False
    # Whether the retention purge keeps expired campaigns and their messages (numbers, counts,
    # costs; texts erased) for billing, instead of deleting them (docs/retention.md).
    retention_keep_billing: bool = True
    # Marketing sends (docs/sending-rules.md): the STOP notice appended to their text after
    # a newline, counted in length and cost ("" appends nothing; `<-stop->` in any text is
    # replaced by it).
    stop_notice: str = DEFAULT_STOP_NOTICE
    # Anti-flood, per account and destination: at most this many messages within an hour of
    # each other, and at most this many with the same text; 0 turns a limit off.
    flood_per_hour: int = 20
    flood_same_text_per_hour: int = 6
    # Webhooks (docs/decisions.md): seconds before each retry of a failed event (Standard
    # Webhooks' schedule by default), and whether events may go to loopback and private
    # addresses (tests, closed networks; cloud metadata addresses stay refused).
    webhook_retry_schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    webhook_allow_private: bool = False
    # Where tracked short links point (`<base>/<code>`); None: the server's own address.
    short_link_base: str | None = None
    # The largest request body a route reads (docs/security.md): sends and every other
    # route, and the routes that import contacts into lists.
    max_body_bytes: int = 8 * 1024 * 1024
    max_import_body_bytes: int = 64 * 1024 * 1024

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        default_format = env.get("RELAIS_DEFAULT_FORMAT", "xml").lower()
        if default_format not in {"xml", "json"}:
            raise ConfigError("RELAIS_DEFAULT_FORMAT must be xml or json")
        outcomes = env.get("RELAIS_SIMULATOR_OUTCOMES")
        seed = env.get("RELAIS_SIMULATOR_SEED")
        return cls(
            database_url=env.get("RELAIS_DATABASE_URL") or default_database_url(env),
            host=env.get("RELAIS_HOST") or "127.0.0.1",
            port=_env_int(env, "RELAIS_PORT", 8080),
            default_format=default_format,
            dispatcher_enabled=_env_bool(env, "RELAIS_DISPATCHER", True),
            dispatch_batch_size=_env_int(env, "RELAIS_DISPATCH_BATCH", 500),
            claim_lease_seconds=_env_int(env, "RELAIS_CLAIM_LEASE_SECONDS", 60),
            simulator_receipt_delay_ms=_env_int(env, "RELAIS_SIMULATOR_RECEIPT_DELAY_MS", 200),
            simulator_outcomes=parse_outcome_mix(outcomes) if outcomes else {"delivered": 1.0},
            simulator_seed=int(seed) if seed else None,
            max_parts=_env_int(env, "RELAIS_MAX_PARTS", 10),
            max_body_bytes=_env_int(env, "RELAIS_MAX_BODY_BYTES", 8 * 1024 * 1024),
            max_import_body_bytes=_env_int(env, "RELAIS_MAX_IMPORT_BODY_BYTES", 64 * 1024 * 1024),
            builtin_simulator=_env_bool(env, "RELAIS_BUILTIN_SIMULATOR", True),
            validity_hours=_env_int(env, "RELAIS_VALIDITY_HOURS", 48),
            bind_lease_seconds=_env_int(env, "RELAIS_BIND_LEASE_SECONDS", 15),
            reconcile_seconds=float(env.get("RELAIS_RECONCILE_SECONDS") or 2.0),
            cache_poll_seconds=float(env.get("RELAIS_CACHE_POLL_SECONDS") or 1.0),
            retention_purge_seconds=float(env.get("RELAIS_RETENTION_PURGE_SECONDS") or 3600.0),
            stop_keywords=tuple(
                k.strip() for k in env["RELAIS_STOP_KEYWORDS"].split(",") if k.strip()
            )
            if env.get("RELAIS_STOP_KEYWORDS")
            else DEFAULT_STOP_KEYWORDS,
            sqlite_synchronous=env.get("RELAIS_SQLITE_SYNCHRONOUS", "FULL").upper(),
            trusted_proxies=_env_networks(env, "RELAIS_TRUSTED_PROXIES"),
            open_signup=_env_bool(env, "RELAIS_OPEN_SIGNUP", False),
            retention_keep_billing=_env_bool(env, "RELAIS_RETENTION_KEEP_BILLING", True),
            stop_notice=env.get("RELAIS_STOP_NOTICE", DEFAULT_STOP_NOTICE).strip(),
            flood_per_hour=_env_count(env, "RELAIS_FLOOD_PER_HOUR", 20),
            flood_same_text_per_hour=_env_count(env, "RELAIS_FLOOD_SAME_TEXT_PER_HOUR", 6),
            webhook_retry_schedule=parse_schedule(env.get("RELAIS_WEBHOOK_RETRY_SCHEDULE")),
            webhook_allow_private=_env_bool(env, "RELAIS_WEBHOOK_ALLOW_PRIVATE", False),
            short_link_base=_env_short_link_base(env),
        )
