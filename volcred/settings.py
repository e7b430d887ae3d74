"""Settings from environment variables and an optional `.env` file."""

from __future__ import annotations

import base64
import logging
import os
import secrets
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from base.mail.sender import SmtpSettings

log = logging.getLogger(__name__)

KEY_FILE_NAME = "key-encryption.key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # Where the service keeps its SQLite database, generated key and other local state.
    data_dir: Path = Field(default=Path("var"), validation_alias=AliasChoices("VOLCRED_DATA_DIR", "data_dir"))
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL", "database_url"))
    # The public URL used in DIDs, status list URLs and QR codes.
    base_url: str = Field(default="http://127.0.0.1:8000", validation_alias=AliasChoices("BASE_URL", "base_url"))
    # 32 bytes, URL-safe base64: encrypts organisations' private keys at rest (AES-GCM).
    key_encryption_key: str | None = Field(
        default=None, validation_alias=AliasChoices("KEY_ENCRYPTION_KEY", "key_encryption_key")
    )
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("LOG_LEVEL", "log_level"))
    # A running batch whose runner has been silent this long (its process died) is taken over by another runner.
    batch_lease_seconds: float = Field(
        default=30, validation_alias=AliasChoices("VOLCRED_BATCH_LEASE_SECONDS", "batch_lease_seconds")
    )
    # A pause between a batch's groups of rows; default 0.1 s on SQLite, none elsewhere (see `batch_row_pause`).
    # (VOLCRED_BATCH_ROW_PAUSE_SECONDS is the name it had when batches committed row by row.)
    batch_row_pause_seconds: float | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "VOLCRED_BATCH_PAUSE_SECONDS", "VOLCRED_BATCH_ROW_PAUSE_SECONDS", "batch_row_pause_seconds"
        ),
    )

    # Requests per client address to the public endpoints (see volcred/public_limits.py); `limits` notation,
    # several rates separated by `;`. VOLCRED_RATE_LIMITS=off turns throttling off (benchmarks from one client).
    rate_limits: bool = Field(default=True, validation_alias=AliasChoices("VOLCRED_RATE_LIMITS", "rate_limits"))
    verify_rate_limit: str = Field(
        default="30/second;600/minute", validation_alias=AliasChoices("VOLCRED_VERIFY_RATE_LIMIT", "verify_rate_limit")
    )
    bulk_rate_limit: str = Field(
        default="10/minute", validation_alias=AliasChoices("VOLCRED_BULK_RATE_LIMIT", "bulk_rate_limit")
    )
    login_client_rate_limit: str = Field(
        default="30/minute", validation_alias=AliasChoices("VOLCRED_LOGIN_CLIENT_RATE_LIMIT", "login_client_rate_limit")
    )
    # Failed logins per account, whoever tries: the next attempt, even with the right password, waits.
    login_account_rate_limit: str = Field(
        default="5 per 15 minutes",
        validation_alias=AliasChoices("VOLCRED_LOGIN_ACCOUNT_RATE_LIMIT", "login_account_rate_limit"),
    )
    # Unknown claim codes per client address (credentials.holders.claims): the next attempt waits.
    claim_rate_limit: str = Field(
        default="10/minute;50/hour", validation_alias=AliasChoices("VOLCRED_CLAIM_RATE_LIMIT", "claim_rate_limit")
    )

    # E-mail (base.mail): the outbox is sent over SMTP to this server; without a host, messages go to the log.
    smtp_host: str | None = Field(default=None, validation_alias=AliasChoices("VOLCRED_SMTP_HOST", "smtp_host"))
    smtp_port: int = Field(default=587, validation_alias=AliasChoices("VOLCRED_SMTP_PORT", "smtp_port"))
    smtp_starttls: bool = Field(default=True, validation_alias=AliasChoices("VOLCRED_SMTP_STARTTLS", "smtp_starttls"))
    smtp_user: str | None = Field(default=None, validation_alias=AliasChoices("VOLCRED_SMTP_USER", "smtp_user"))
    smtp_password: str | None = Field(
        default=None, validation_alias=AliasChoices("VOLCRED_SMTP_PASSWORD", "smtp_password"), repr=False
    )
    smtp_timeout: float = Field(default=30, validation_alias=AliasChoices("VOLCRED_SMTP_TIMEOUT", "smtp_timeout"))
    smtp_ca_file: str | None = Field(
        default=None, validation_alias=AliasChoices("VOLCRED_SMTP_CA_FILE", "smtp_ca_file")
    )
    # How often the sender looks for due messages queued by other processes or waiting for a retry (a transaction
    # that queues mail in this process wakes it at once).
    mail_poll_seconds: float = Field(
        default=5, validation_alias=AliasChoices("VOLCRED_MAIL_POLL_SECONDS", "mail_poll_seconds")
    )
    # The daily digest of statements waiting for review goes out once the day in Latvia reaches this hour (0-23);
    # -1: not from the service (run `volcred mail digest` from cron instead).
    digest_hour: int = Field(
        default=8, ge=-1, le=23, validation_alias=AliasChoices("VOLCRED_DIGEST_HOUR", "digest_hour")
    )
    # The From address; by default noreply@ the host of BASE_URL.
    mail_from: str | None = Field(default=None, validation_alias=AliasChoices("VOLCRED_MAIL_FROM", "mail_from"))
    # Published statistics (a territory's, the nation's) kept this many seconds per application; 0: none, every
    # request reads the maintained summary (credentials.reports.summary), fresh at every commit.
    statistics_cache_seconds: float = Field(
        default=600, ge=0, validation_alias=AliasChoices("VOLCRED_STATISTICS_CACHE_SECONDS", "statistics_cache_seconds")
    )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'volcred.sqlite3').resolve()}"

    @property
    def batch_row_pause(self) -> float:
        """SQLite has one writer at a time, and a batch that commits group after group would leave a waiting
        request little chance to take the lock: SQLite's busy handler looks again every 100 ms at most, so a pause
        that long lets it in (a request waits at most about one group, half a second, then)."""
        if self.batch_row_pause_seconds is not None:
            return self.batch_row_pause_seconds
        return 0.1 if self.effective_database_url.startswith("sqlite") else 0.0

    @property
    def public_base_url(self) -> str:
        return self.base_url.rstrip("/")

    def serving_on(self, host: str, port: int) -> Settings:
        """These settings for a service listening on `host:port`: unless BASE_URL is set, the public URL follows
        the port, so that new credentials, DIDs and QR codes point where the service really answers."""
        if "base_url" in self.model_fields_set:
            return self
        # A wildcard address is not one a browser can open; the loopback address is, on this machine.
        reachable = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        if ":" in reachable:
            reachable = f"[{reachable}]"
        return self.model_copy(update={"base_url": f"http://{reachable}:{port}"})

    @property
    def smtp(self) -> SmtpSettings:
        return SmtpSettings(
            host=self.smtp_host or None,
            port=self.smtp_port,
            starttls=self.smtp_starttls,
            user=self.smtp_user or None,
            password=self.smtp_password,
            mail_from=self.mail_from or f"noreply@{urlsplit(self.public_base_url).hostname or 'localhost'}",
            timeout=self.smtp_timeout,
            ca_file=self.smtp_ca_file or None,
        )

    @property
    def public_host(self) -> str:
        """Host (and port) of BASE_URL, as it appears in did:web identifiers before encoding."""
        return urlsplit(self.public_base_url).netloc

    @cached_property
    def encryption_key(self) -> bytes:
        """The key-encryption key; generated into the data directory on first use when not configured."""
        if self.key_encryption_key:
            return decode_key(self.key_encryption_key)
        path = self.data_dir / KEY_FILE_NAME
        if path.exists():
            return decode_key(path.read_text().strip())
        path.parent.mkdir(parents=True, exist_ok=True)
        key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        from base.i18n import messages

        text = messages().text("settings.key_generated", path=str(path))
        log.warning("%s / %s", text.lv, text.en)
        return decode_key(key)


def decode_key(value: str) -> bytes:
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    if len(raw) != 32:
        raise ValueError("KEY_ENCRYPTION_KEY must be 32 bytes in URL-safe base64")
    return raw


def get_settings() -> Settings:
    return Settings()
