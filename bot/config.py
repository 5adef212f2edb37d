"""Settings from HUMAS_* environment variables and an optional humas.toml."""

from __future__ import annotations

import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.broadcast.limits import Limits
from storage.targets import is_postgres_url, redacted

WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class SettingsError(ValueError):
    """Settings that cannot be used; the message is one line naming the setting."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUMAS_", extra="forbid")

    database: str = "humas.db"  # a SQLite file, or a postgresql:// URL
    # where media files live: by default `media/` beside the SQLite file; with PostgreSQL, say where
    media_dir: Path | None = Field(default=None, validate_default=True)
    flow: str = "default"
    flows_dir: Path | None = None  # an office's own flow files, searched before the shipped ones
    timezone: str = "Asia/Jakarta"
    timer_poll_seconds: float = 30.0  # longest sleep of the deadline loop between checks
    # retention (bot/services/retention.py): sent notices and replies, fired timers, expired link
    # codes go, and finished broadcasts' deliveries are folded, after this many days
    retention_days: int = Field(30, ge=1)
    # handled updates go after this many days: never fewer than Telegram's week (see retention.py)
    retention_inbox_days: int = Field(7, ge=7)
    retention_interval_minutes: float = Field(60.0, gt=0)  # between passes of the retention loop
    holidays_file: Path = Path("holidays.txt")  # YYYY-MM-DD per line; none if the file is absent
    # the sandbox page's port on 127.0.0.1; unset: 8765, or any free port if that one is taken
    sandbox_port: int | None = Field(None, ge=0, le=65535)
    invite_days: int = Field(7, ge=1, le=365)  # how long an invite code works

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_file_url: str = "https://api.telegram.org/file/bot"
    telegram_self_hosted_api: bool = False  # a local Bot API server: files up to 2000 MB
    # messages a second for the whole token (Telegram's 30), every worker together; lower it to be
    # gentler, raise it only for a Bot API server that allows more (tests use a fast emulator)
    telegram_per_second: int = Field(30, ge=1, le=1000)
    telegram_webhook_url: str | None = None  # set to use a webhook instead of long polling
    telegram_webhook_secret: SecretStr | None = None
    telegram_listen: str = "127.0.0.1"
    telegram_port: int = 8443

    line_channel_secret: SecretStr | None = None
    line_access_token: SecretStr | None = None
    line_api_url: str = "https://api.line.me"
    line_data_url: str = "https://api-data.line.me"  # the content (blob) API
    line_public_url: str | None = None  # https address of this server, for poster images on LINE
    line_media_days: int = Field(30, ge=1, le=365)  # how long a poster's signed address works for LINE
    line_host: str = "127.0.0.1"
    line_port: int = 8080
    # images a LINE user sends as a link may be fetched from private addresses (an intranet)
    line_fetch_private_urls: bool = False

    @field_validator("database", mode="before")
    @classmethod
    def _path_as_text(cls, value: object) -> object:
        return os.fspath(value) if isinstance(value, os.PathLike) else value

    @field_validator("media_dir")
    @classmethod
    def _media_for_postgres(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None and is_postgres_url(str(info.data.get("database", ""))):
            raise ValueError("a PostgreSQL database keeps media files in a folder: set it, "
                             "e.g. /var/lib/humas/media")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}, e.g. Asia/Jakarta") from exc
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("1 to 256 characters, each a letter, digit, _ or - (Telegram's rule); "
                             "or leave it unset for a random one at each start")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def telegram_limits(self) -> Limits:
        return Limits(per_second=self.telegram_per_second)

    @property
    def uses_postgres(self) -> bool:
        return is_postgres_url(str(self.database))

    @property
    def database_label(self) -> str:
        """The database as logs name it: no password."""
        return redacted(str(self.database))

    @property
    def media_folder(self) -> Path:
        if self.media_dir is not None:
            return self.media_dir
        return Path(self.database).resolve().parent / "media"

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("HUMAS_CONFIG", "humas.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file))


def load_settings(**overrides: object) -> Settings:
    """Settings, or SettingsError with the first problem in one line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        raise SettingsError(f"setting {name} (HUMAS_{name.upper()}): {message}") from exc
    except ValueError as exc:  # a malformed humas.toml
        raise SettingsError(f"humas.toml: {exc}") from exc
