"""Who may use a served workspace: one credential, checked the same way by the Gradio UI and the JSON API.

``kgqa serve`` builds one :class:`Credentials` (or none, when authentication is off) and hands it
to :func:`ui.app.launch` / :func:`ui.api.serve_api`: the UI asks for it on its login page
(Gradio's ``auth``), the API in HTTP Basic authentication (``curl -u user:password``).

>>> c = Credentials("analyst", "s3cret")
>>> c.check("analyst", "s3cret"), c.check("analyst", "wrong"), c
(True, False, Credentials(username='analyst'))
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass, field

REALM = "kgqa"


@dataclass(frozen=True)
class Credentials:
    """A user name and password; ``repr`` never shows the password."""

    username: str
    password: str = field(repr=False)

    def check(self, username: str, password: str) -> bool:
        """Whether ``username``/``password`` are these credentials (constant-time comparison)."""
        same_user = hmac.compare_digest(username.encode("utf-8"), self.username.encode("utf-8"))
        same_password = hmac.compare_digest(password.encode("utf-8"), self.password.encode("utf-8"))
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
