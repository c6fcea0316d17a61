"""Settings for every process, read once from the environment at start and passed down.

Nothing else in the package reads the environment. A bad value raises `SettingsError` whose
message is one line naming the variable, which the CLI prints as is.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from kanban.db.urls import DatabaseUrl, DatabaseUrlError, parse_database_url

Service = Literal["api", "worker"]
TRANSPORTS = ("http", "nats", "memory")
PROVIDERS = ("local", "openai")


class SettingsError(Exception):
    """A configuration value is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class ProviderSettings:
    name: str = "local"
    openai_base_url: str | None = None
    openai_model: str | None = None
    openai_api_key: str | None = None
    timeout_seconds: float = 20.0
    max_retries: int = 2


@dataclass(frozen=True)
class MailboxSettings:
    """The IMAP folder the API watches for captures (KANBAN_IMAP_URL); the password never prints."""

    host: str
    port: int
    tls: bool
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    owner_email: str = ""
    poll_seconds: float = 60.0
    idle_seconds: float = 60.0

    @property
    def name(self) -> str:
        """Identifies the folder (checkpoint key, logs) without the password."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


@dataclass(frozen=True)
class SmtpSettings:
    """Where the digest is sent (KANBAN_SMTP_URL); the password never prints."""

    host: str
    port: int
    tls: Literal["none", "starttls", "tls"]
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "kanban@localhost"


@dataclass(frozen=True)
class Settings:
    service: Service
    database: DatabaseUrl
    other_database: DatabaseUrl | None
    transport: str = "http"
    nats_url: str = "nats://127.0.0.1:4222"
    events_secret: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    peer_events_url: str | None = None
    jwt_secret: str = ""
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    # Browser (cookie) sessions: an absolute lifetime, and an end after this long without a request.
    session_days: int = 14
    session_idle_hours: int = 168
    # Registrations per client address per hour (each costs a password hash).
    registrations_per_hour: int = 10
    # argon2id cost; production keeps the library's RFC 9106 profile, tests may lower it.
    argon2_time_cost: int = 3
    argon2_memory_cost_kib: int = 65536
    worker_concurrency: int = 2
    # PostgreSQL connections an API process keeps open; a burst may open half as many more.
    db_pool_size: int = 20
    job_debounce_seconds: float = 0.3
    job_lease_seconds: float = 30.0
    job_max_attempts: int = 5
    inbox_max_attempts: int = 8
    inbox_gap_timeout_seconds: float = 30.0
    outbox_retention_hours: float = 72.0
    # What one import may carry (docs: README "Your data").
    import_max_bytes: int = 25 * 1024 * 1024
    import_max_tasks: int = 10_000
    fetch_allow_hosts: tuple[str, ...] = ()
    fetch_allow_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    provider: ProviderSettings = field(default_factory=ProviderSettings)
    log_level: str = "INFO"
    # /metrics: loopback peers only, unless this token is set (then its bearer, from anywhere).
    metrics_token: str = ""
    # Peers (addresses or networks) whose X-Forwarded-For / X-Forwarded-Proto are believed; none by default.
    trusted_proxies: tuple[str, ...] = ()
    # capture: the mailbox watched for mail, SMTP for the digest, the address links in mail point to
    mailbox: MailboxSettings | None = None
    smtp: SmtpSettings | None = None
    public_url: str = "http://127.0.0.1:8000"
    digest_poll_seconds: float = 60.0
    # outgoing webhooks (rule notifications): private, loopback and link-local targets are refused
    # unless this is on (a receiver on the same machine or network, as in tests)
    webhook_allow_private: bool = False
    webhook_poll_seconds: float = 5.0
    webhook_max_attempts: int = 6

    @property
    def role_name(self) -> str:
        """The PostgreSQL application_name this service connects with."""
        return f"kanban-{self.service}"


def _require(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set")
    return value


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {value}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be 1 or 0, got {raw!r}")


def _optional_secret(env: Mapping[str, str], name: str, min_length: int) -> str:
    value = env.get(name, "").strip()
    if value and len(value) < min_length:
        raise SettingsError(f"{name} must be {min_length}+ characters when set")
    return value


def _database(env: Mapping[str, str], name: str) -> DatabaseUrl:
    try:
        return parse_database_url(_require(env, name))
    except DatabaseUrlError as exc:
        raise SettingsError(f"{name} is not a usable database URL: {exc}") from None


def _own_database(env: Mapping[str, str], service: Service) -> tuple[str, DatabaseUrl]:
    specific = "API_DATABASE_URL" if service == "api" else "WORKER_DATABASE_URL"
    name = specific if env.get(specific, "").strip() else "DATABASE_URL"
    if not env.get(name, "").strip():
        raise SettingsError(f"{specific} is not set (nor DATABASE_URL)")
    return name, _database(env, name)


def _port(env: Mapping[str, str], service: Service, default: int) -> int:
    """KANBAN_API_PORT / KANBAN_WORKER_PORT (the env file of `kanban up` names both), else KANBAN_PORT."""
    specific = f"KANBAN_{service.upper()}_PORT"
    name = specific if env.get(specific, "").strip() else "KANBAN_PORT"
    return _int(env, name, default, minimum=0)


def _networks(env: Mapping[str, str], name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    nets = []
    for part in filter(None, (p.strip() for p in env.get(name, "").split(","))):
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise SettingsError(f"{name} has an invalid network {part!r}") from None
    return tuple(nets)


def _mailbox(env: Mapping[str, str]) -> MailboxSettings | None:
    raw = env.get("KANBAN_IMAP_URL", "").strip()
    if not raw:
        return None
    url = urlsplit(raw)
    if url.scheme not in ("imap", "imaps") or not url.hostname or not url.username or url.password is None:
        raise SettingsError("KANBAN_IMAP_URL must look like imaps://user:password@host[:port]/Folder")
    owner = _require(env, "KANBAN_IMAP_OWNER").lower()
    try:
        port = url.port or (993 if url.scheme == "imaps" else 143)
    except ValueError:
        raise SettingsError("KANBAN_IMAP_URL has an invalid port") from None
    return MailboxSettings(
        host=url.hostname,
        port=port,
        tls=url.scheme == "imaps",
        user=unquote(url.username),
        password=unquote(url.password),
        folder=unquote(url.path.lstrip("/")) or "INBOX",
        owner_email=owner,
        poll_seconds=_float(env, "KANBAN_IMAP_POLL_SECONDS", 60.0),
        idle_seconds=_float(env, "KANBAN_IMAP_IDLE_SECONDS", 60.0),
    )


def _smtp(env: Mapping[str, str]) -> SmtpSettings | None:
    raw = env.get("KANBAN_SMTP_URL", "").strip()
    if not raw:
        return None
    url = urlsplit(raw)
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise SettingsError(
            "KANBAN_SMTP_URL must look like smtp://[user:password@]host[:port][?starttls=true] or smtps://"
        )
    try:
        port = url.port or (465 if url.scheme == "smtps" else 25)
    except ValueError:
        raise SettingsError("KANBAN_SMTP_URL has an invalid port") from None
    tls: Literal["none", "starttls", "tls"] = "tls" if url.scheme == "smtps" else "none"
    if url.scheme == "smtp" and "starttls=true" in url.query.lower():
        tls = "starttls"
    return SmtpSettings(
        host=url.hostname,
        port=port,
        tls=tls,
        user=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password is not None else None,
        sender=env.get("KANBAN_MAIL_FROM", "").strip() or "kanban@localhost",
    )


@dataclass(frozen=True)
class ClientSettings:
    """How the CLI's client commands (capture, mcp) reach a running API: its URL and a personal access token."""

    api_url: str
    token: str = field(repr=False)


def load_client_settings(
    env: Mapping[str, str] | None = None, *, api_url: str | None = None, token: str | None = None
) -> ClientSettings:
    env = process_environment() if env is None else env
    url = (api_url or env.get("KANBAN_API_URL", "") or "http://127.0.0.1:8000").strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise SettingsError(f"KANBAN_API_URL must be an http(s) URL, got {url!r}")
    secret = (token or env.get("KANBAN_TOKEN", "")).strip()
    if not secret:
        raise SettingsError("KANBAN_TOKEN is not set (a personal access token; or pass --token)")
    return ClientSettings(api_url=url, token=secret)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (the file `kanban up` writes); blank lines and # comments ignored."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise SettingsError(f"{path}:{number}: expected KEY=VALUE")
        values[key.strip()] = value.strip()
    return values


def process_environment() -> dict[str, str]:
    """The environment of this process, over the embedded system's env file when there is one.

    `kanban up` writes `<data dir>/kanban.env`; other commands (doctor, events, db) read it so
    that they talk to the same databases without exporting anything by hand.
    """
    env = dict(os.environ)
    path = Path(env.get("KANBAN_ENV_FILE") or Path(env.get("KANBAN_DATA_DIR", ".kanban-data")) / "kanban.env")
    if path.is_file():
        return read_env_file(path) | env
    return env


def provision_passwords(env: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """The API and Worker roles' passwords for `kanban db provision`, when the operator gives them.

    KANBAN_API_DB_PASSWORD and KANBAN_WORKER_DB_PASSWORD, the names compose.yaml uses; never an
    argument, which would show in `ps` and the shell history.
    """
    env = os.environ if env is None else env
    return (env.get("KANBAN_API_DB_PASSWORD") or None, env.get("KANBAN_WORKER_DB_PASSWORD") or None)


def load_settings(service: Service, env: Mapping[str, str] | None = None, *, require_secrets: bool = True) -> Settings:
    """Build the settings of one service; raises SettingsError with a one-line reason.

    Commands that only work on the service's database (`kanban db`, `kanban users`) pass
    `require_secrets=False`: a schema migration needs no events or signing secret.
    """
    env = process_environment() if env is None else env
    own_name, own = _own_database(env, service)
    other_name = "WORKER_DATABASE_URL" if service == "api" else "API_DATABASE_URL"
    other = _database(env, other_name) if env.get(other_name, "").strip() else None
    if other is not None and own.same_database_as(other):
        raise SettingsError(
            f"{own_name} points at the same database as {other_name}: "
            f"the API and the Worker must each own a separate database"
        )
    if own.is_other_service_database(service):
        raise SettingsError(f"{own_name} names the {own.database} database, which belongs to the other service")

    transport = env.get("KANBAN_TRANSPORT", "http").strip() or "http"
    if transport not in TRANSPORTS:
        raise SettingsError(f"KANBAN_TRANSPORT must be one of {', '.join(TRANSPORTS)}, got {transport!r}")
    secret = env.get("KANBAN_EVENTS_SECRET", "").strip()
    if require_secrets and transport == "http" and len(secret) < 16:
        raise SettingsError("KANBAN_EVENTS_SECRET must be set (16+ characters) for the http transport")
    default_port = 8000 if service == "api" else 8001
    peer_default = (
        "http://127.0.0.1:8001/internal/events" if service == "api" else "http://127.0.0.1:8000/internal/events"
    )
    peer_var = "KANBAN_WORKER_EVENTS_URL" if service == "api" else "KANBAN_API_EVENTS_URL"
    jwt_secret = env.get("KANBAN_JWT_SECRET", "").strip()
    if require_secrets and service == "api" and len(jwt_secret) < 32:
        raise SettingsError("KANBAN_JWT_SECRET must be set (32+ characters)")

    provider_name = env.get("KANBAN_PROVIDER", "local").strip() or "local"
    if provider_name not in PROVIDERS:
        raise SettingsError(f"KANBAN_PROVIDER must be one of {', '.join(PROVIDERS)}, got {provider_name!r}")
    provider = ProviderSettings(
        name=provider_name,
        openai_base_url=env.get("KANBAN_OPENAI_BASE_URL") or None,
        openai_model=env.get("KANBAN_OPENAI_MODEL") or None,
        openai_api_key=env.get("KANBAN_OPENAI_API_KEY") or None,
        timeout_seconds=_float(env, "KANBAN_PROVIDER_TIMEOUT_SECONDS", 20.0),
        max_retries=_int(env, "KANBAN_PROVIDER_MAX_RETRIES", 2),
    )
    if provider.name == "openai" and not (provider.openai_base_url and provider.openai_model):
        raise SettingsError("KANBAN_OPENAI_BASE_URL and KANBAN_OPENAI_MODEL must be set for KANBAN_PROVIDER=openai")

    return Settings(
        service=service,
        database=own,
        other_database=other,
        transport=transport,
        nats_url=env.get("KANBAN_NATS_URL", "nats://127.0.0.1:4222"),
        events_secret=secret,
        host=env.get("KANBAN_HOST", "127.0.0.1"),
        port=_port(env, service, default_port),
        peer_events_url=env.get(peer_var, peer_default),
        jwt_secret=jwt_secret,
        access_token_minutes=_int(env, "KANBAN_ACCESS_TOKEN_MINUTES", 15, minimum=1),
        refresh_token_days=_int(env, "KANBAN_REFRESH_TOKEN_DAYS", 30, minimum=1),
        session_days=_int(env, "KANBAN_SESSION_DAYS", 14, minimum=1),
        session_idle_hours=_int(env, "KANBAN_SESSION_IDLE_HOURS", 168, minimum=1),
        registrations_per_hour=_int(env, "KANBAN_REGISTRATIONS_PER_HOUR", 10, minimum=1),
        argon2_time_cost=_int(env, "KANBAN_ARGON2_TIME_COST", 3, minimum=1),
        argon2_memory_cost_kib=_int(env, "KANBAN_ARGON2_MEMORY_COST", 65536, minimum=64),
        worker_concurrency=_int(env, "KANBAN_WORKER_CONCURRENCY", 2, minimum=1),
        db_pool_size=_int(env, "KANBAN_DB_POOL_SIZE", 20, minimum=1),
        job_debounce_seconds=_float(env, "KANBAN_JOB_DEBOUNCE_SECONDS", 0.3),
        job_lease_seconds=_float(env, "KANBAN_JOB_LEASE_SECONDS", 30.0),
        job_max_attempts=_int(env, "KANBAN_JOB_MAX_ATTEMPTS", 5, minimum=1),
        inbox_max_attempts=_int(env, "KANBAN_INBOX_MAX_ATTEMPTS", 8, minimum=1),
        inbox_gap_timeout_seconds=_float(env, "KANBAN_INBOX_GAP_TIMEOUT_SECONDS", 30.0),
        outbox_retention_hours=_float(env, "KANBAN_OUTBOX_RETENTION_HOURS", 72.0),
        import_max_bytes=_int(env, "KANBAN_IMPORT_MAX_BYTES", 25 * 1024 * 1024, minimum=1024),
        import_max_tasks=_int(env, "KANBAN_IMPORT_MAX_TASKS", 10_000, minimum=1),
        fetch_allow_hosts=tuple(
            h.strip().lower() for h in env.get("KANBAN_FETCH_ALLOW_HOSTS", "").split(",") if h.strip()
        ),
        fetch_allow_networks=_networks(env, "KANBAN_FETCH_ALLOW_NETWORKS"),
        provider=provider,
        log_level=env.get("KANBAN_LOG_LEVEL", "INFO").upper(),
        metrics_token=_optional_secret(env, "KANBAN_METRICS_TOKEN", 16),
        trusted_proxies=tuple(str(net) for net in _networks(env, "KANBAN_TRUSTED_PROXIES")),
        mailbox=_mailbox(env) if service == "api" else None,
        smtp=_smtp(env) if service == "api" else None,
        public_url=(env.get("KANBAN_PUBLIC_URL", "").strip() or f"http://127.0.0.1:{default_port}").rstrip("/"),
        digest_poll_seconds=_float(env, "KANBAN_DIGEST_POLL_SECONDS", 60.0),
        webhook_allow_private=_flag(env, "KANBAN_WEBHOOK_ALLOW_PRIVATE"),
        webhook_poll_seconds=_float(env, "KANBAN_WEBHOOK_POLL_SECONDS", 5.0),
        webhook_max_attempts=_int(env, "KANBAN_WEBHOOK_MAX_ATTEMPTS", 6, minimum=1),
    )
