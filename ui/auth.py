"""Who may use the workspace: one credential check for the Gradio UI and the HTTP API.

``kgqa serve`` is unauthenticated on loopback by default. With ``--password-env NAME`` (the
password is in that environment variable) or ``--password-file PATH`` (its first line), every
page, upload and API call needs the user name and password: Gradio shows a login form, and
the HTTP API (:mod:`ui.api`) checks the same :class:`Credentials` (:meth:`Credentials.check_basic`
for an ``Authorization: Basic`` header). Binding to an address other than loopback without
a password is refused unless ``--insecure`` is given (docs/security.md).

>>> c = Credentials("analyst", "correct horse")
>>> c.check("analyst", "correct horse"), c.check("analyst", "wrong"), c.check("root", "correct horse")
(True, False, False)
>>> c
Credentials(user='analyst', password=***)
>>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("::1"), is_loopback("0.0.0.0")
(True, True, True, False)
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_USER = "kgqa"


@dataclass(frozen=True)
class Credentials:
    """One user name and password, compared in constant time; the password is never shown."""

    user: str
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, password=***)"

    def check(self, user: str | None, password: str | None) -> bool:
        """Whether ``user``/``password`` are these credentials (Gradio's ``auth`` callable)."""
        ok_user = hmac.compare_digest((user or "").encode("utf-8", "surrogateescape"), self.user.encode())
        ok_pw = hmac.compare_digest((password or "").encode("utf-8", "surrogateescape"), self.password.encode())
        return ok_user and ok_pw

    def check_basic(self, header: str | None) -> bool:
        """Whether an HTTP ``Authorization: Basic ...`` header carries these credentials.

        >>> Credentials("a", "b").check_basic("Basic " + base64.b64encode(b"a:b").decode())
        True
        >>> Credentials("a", "b").check_basic("Bearer x"), Credentials("a", "b").check_basic(None)
        (False, False)
        """
        if not header or not header.lower().startswith("basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        return self.check(user, password)


def load_credentials(user: str = DEFAULT_USER, password_env: str | None = None,
                     password_file: Path | None = None) -> Credentials | None:
    """The credentials ``kgqa serve`` was started with, or ``None`` for no authentication.

    Raises :class:`ConfigError` when the variable is unset or empty, the file unreadable or
    empty, or both are given.
    """
    if password_env and password_file:
        raise ConfigError("give either --password-env or --password-file, not both")
    if password_env:
        password = os.environ.get(password_env, "")
        if not password:
            raise ConfigError(f"--password-env {password_env}: that environment variable is not set or empty")
        return Credentials(user or DEFAULT_USER, password)
    if password_file:
        path = Path(password_file).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
            mode = path.stat().st_mode
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"--password-file {path}: cannot read it ({exc})") from exc
        password = lines[0].strip() if lines else ""
        if not password:
            raise ConfigError(f"--password-file {path}: the first line (the password) is empty")
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            log.warning("password file %s is readable by other users (chmod 600 it)", path)
        return Credentials(user or DEFAULT_USER, password)
    return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, credentials: Credentials | None, insecure: bool) -> None:
    """Refuse to serve beyond this machine without a password, unless ``insecure`` says so.

    >>> check_bind("0.0.0.0", None, insecure=False)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    core.errors.ConfigError: refusing to serve on 0.0.0.0 without a password ...
    """
    if credentials is None and not is_loopback(host) and not insecure:
        raise ConfigError(
            f"refusing to serve on {host} without a password: anyone who can reach it could read and upload "
            "documents and change the LLM. Set one with --password-env VAR or --password-file PATH, "
            "or pass --insecure to serve without authentication anyway"
        )
