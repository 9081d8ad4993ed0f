"""Who may use a served workspace: one credential, checked the same way by the Gradio UI and the JSON API.

``kgqa serve`` builds one :class:`Credentials` (or none, when authentication is off) with
:func:`load_credentials` (``--password-env VAR``: the password is in that environment variable;
``--password-file PATH``: its first line) and hands it to :func:`ui.app.launch` /
:class:`ui.api_server.ApiServer`: the UI asks for it on its login page (Gradio's ``auth``), the
API in HTTP Basic authentication (``curl -u user:password``). :func:`check_bind` refuses an
address beyond loopback without a password unless ``--insecure`` (docs/security.md).

>>> c = Credentials("analyst", "s3cret")
>>> c.check("analyst", "s3cret"), c.check("analyst", "wrong"), c
(True, False, Credentials(username='analyst'))
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

REALM = "kgqa"
DEFAULT_USER = "kgqa"


@dataclass(frozen=True)
class Credentials:
    """A user name and password; ``repr`` never shows the password."""

    username: str
    password: str = field(repr=False)

    def check(self, username: str, password: str) -> bool:
        """Whether ``username``/``password`` are these credentials (constant-time comparison)."""
        # surrogateescape: a form or header with undecodable text is a wrong password, not a crash
        same_user = hmac.compare_digest((username or "").encode("utf-8", "surrogateescape"), self.username.encode("utf-8"))
        same_password = hmac.compare_digest((password or "").encode("utf-8", "surrogateescape"),
                                            self.password.encode("utf-8"))
        return same_user and same_password

    def check_header(self, authorization: str | None) -> bool:
        """Whether an HTTP ``Authorization: Basic ...`` header carries these credentials.

        >>> c = Credentials("a", "b")
        >>> c.check_header("Basic " + base64.b64encode(b"a:b").decode()), c.check_header("Bearer x")
        (True, False)
        """
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "basic" or not value:
            return False
        try:
            user, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return bool(sep) and self.check(user, password)


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
