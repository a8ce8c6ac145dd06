"""The workbench's users: names, roles and Argon2id password hashes.

Kept in their own small SQLite file (``<data dir>/web/accounts.db``), not in
the catalogue: accounts belong to one workbench, while the catalogue may be a
shared Elasticsearch cluster.  Passwords are hashed with Argon2id (memory-hard:
64 MiB per guess, so a stolen file is slow to attack on a GPU); a generated
password is 16 random characters from an alphabet without look-alikes.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# What each role may do; each includes the ones before it.
ROLES = ("viewer", "analyst", "admin")
ROLE_NAMES = {"viewer": "查看者", "analyst": "分析员", "admin": "管理员"}
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MIN_PASSWORD = 10
# One hasher for every account: Argon2id, 64 MiB, 3 passes (the library's
# RFC 9106 "low memory" profile).
_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2)
# A hash verified against when the name is unknown, so that a login for a
# name that does not exist costs as long as one with a wrong password.
_DUMMY = _HASHER.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A name, role or password that cannot be used; the message says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_at: str

    def can(self, role: str) -> bool:
        """Whether this user has ``role``'s rights (an admin is also an analyst)."""
        return ROLES.index(self.role) >= ROLES.index(role)


def generate_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(16))


def check_name(name: str) -> str:
    name = name.strip().lower()
    if not 2 <= len(name) <= 32 or not set(name) <= _NAME_CHARS:
        raise AccountError(
            f"user name {name!r}: 2 to 32 characters of a-z, 0-9, dot, underscore, hyphen"
        )
    return name


class Accounts:
    """The accounts file; safe to share between the server's threads."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=10
        )
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL,"
            " hash TEXT NOT NULL, created_at TEXT NOT NULL)"
        )
        self.path.chmod(0o600)

    def close(self) -> None:
        self._conn.close()

    def add(self, name: str, role: str, password: str | None = None) -> tuple[User, str]:
        """A new user; returns it and its password (generated when not given)."""
        name = check_name(name)
        if role not in ROLES:
            raise AccountError(f"role {role!r}: one of {', '.join(ROLES)}")
        password = password if password is not None else generate_password()
        _check_password(password)
        user = User(name, role, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        with self._lock:
            try:
                self._conn.execute(
                    "INSERT INTO users (name, role, hash, created_at) VALUES (?, ?, ?, ?)",
                    (name, role, _HASHER.hash(password), user.created_at),
                )
            except sqlite3.IntegrityError:
                raise AccountError(f"user {name!r} exists already") from None
        return user, password

    def set_password(self, name: str, password: str | None = None) -> str:
        password = password if password is not None else generate_password()
        _check_password(password)
        with self._lock:
            done = self._conn.execute(
                "UPDATE users SET hash = ? WHERE name = ?", (_HASHER.hash(password), name)
            )
        if not done.rowcount:
            raise AccountError(f"no user {name!r}")
        return password

    def remove(self, name: str) -> None:
        with self._lock:
            done = self._conn.execute("DELETE FROM users WHERE name = ?", (name,))
        if not done.rowcount:
            raise AccountError(f"no user {name!r}")

    def get(self, name: str) -> User | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT name, role, created_at FROM users WHERE name = ?", (name,)
            ).fetchone()
        return User(*row) if row else None

    def all(self) -> list[User]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT name, role, created_at FROM users ORDER BY name"
            ).fetchall()
        return [User(*row) for row in rows]

    def verify(self, name: str, password: str) -> User | None:
        """The user when ``password`` is theirs, else None (in about the same
        time either way)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT name, role, created_at, hash FROM users WHERE name = ?",
                (name.strip().lower(),),
            ).fetchone()
        try:
            _HASHER.verify(row[3] if row else _DUMMY, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if _HASHER.check_needs_rehash(row[3]):
            with self._lock:
                self._conn.execute(
                    "UPDATE users SET hash = ? WHERE name = ?", (_HASHER.hash(password), row[0])
                )
        return User(row[0], row[1], row[2])


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise AccountError("a password of more than 1024 characters is not accepted")
