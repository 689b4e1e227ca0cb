"""First start: with no users, create `admin` so the server is never open."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ivorygrpc.auth.secrets import hash_password, new_password
from ivorygrpc.store import Store

ADMIN_PASSWORD_ENV = "IVORYGRPC_ADMIN_PASSWORD"
PASSWORD_FILE = "initial_admin_password"
logger = logging.getLogger(__name__)


def ensure_admin(store: Store, data_dir: Path, password: str | None = None) -> str | None:
    """Create `admin` if there are no users; returns the generated password, if any.

    The password is `password`, else $IVORYGRPC_ADMIN_PASSWORD, else generated, logged
    once and written to `<data_dir>/initial_admin_password` (mode 0600).
    """
    if store.users.count() > 0:
        return None
    given = password or os.environ.get(ADMIN_PASSWORD_ENV)
    password = given or new_password()
    store.users.create("admin", hash_password(password), "admin")
    store.audit.add(actor="ivorygrpc", action="user_created", target="admin",
                    detail={"role": "admin", "first_start": True})
    if given:
        logger.info("created user 'admin' with the given password")
        return None
    path = data_dir / PASSWORD_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    logger.warning("created user 'admin' with password %s (also in %s, readable only by you); "
                   "change it with AuthService.ChangePassword", password, path)
    return password
