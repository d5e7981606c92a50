"""The hub's login for the demo and the tests: each roster account with its own password.

Never a shared password: a name logs in only with the password issued to that name
(`roster.issue_passwords`), checked against its scrypt hash. Which names may log in at all is
the hub's `allowed_users` (the roster); the instructor is the hub's admin. A department swaps
this class for its own authenticator (PAM, LTI, OAuth) in one line of the hub's config.
"""

from __future__ import annotations

import json
from pathlib import Path

from jupyterhub.auth import Authenticator
from traitlets import Unicode

from autograder.hub.roster import verify_password


class RosterAuthenticator(Authenticator):
    hashes_file = Unicode(help="JSON {name: scrypt hash}, written by `autograder hub start`",
                          config=True)

    def hashes(self) -> dict[str, str]:
        # Read at each login, so a restart of the hub is not needed when the roster grows.
        return json.loads(Path(self.hashes_file).read_text())

    async def authenticate(self, handler, data):
        name = self.normalize_username(data.get("username", ""))
        stored = self.hashes().get(name)
        if stored is None or not verify_password(stored, data.get("password", "")):
            self.log.warning("Failed login for %r", name)
            return None
        return name
