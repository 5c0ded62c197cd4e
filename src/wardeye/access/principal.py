"""Who is asking: the person (or the local operator at the CLI) behind a request, with the
role, the areas they are bound to and the household cameras they own."""

from __future__ import annotations

from dataclasses import dataclass, field

from wardeye.access.permissions import Permission, Role, permissions_of


@dataclass(frozen=True)
class Principal:
    user_id: int | None  # None: the local operator at the CLI (root on the box)
    username: str
    role: str
    # Area ids the principal sees, every area below their bound areas included; None: all.
    area_ids: frozenset[int] | None
    owned_camera_ids: frozenset[int] = frozenset()
    client_address: str | None = None
    # An API token narrows what its holder's role allows to the token's scopes.
    token_scopes: frozenset[Permission] | None = None
    permissions: frozenset[Permission] = field(init=False)

    def __post_init__(self) -> None:
        allowed = permissions_of(self.role)
        if self.token_scopes is not None:
            allowed = allowed & (self.token_scopes | {Permission.SIGNED_IN})
        object.__setattr__(self, "permissions", allowed)

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER

    def can(self, permission: Permission) -> bool:
        return permission in (Permission.PUBLIC,) or permission in self.permissions

    @classmethod
    def local_operator(cls, os_user: str) -> Principal:
        """Someone with a shell on the box can read the catalog anyway: the CLI acts as an
        unbound admin, and every change it makes is audited under ``cli:<os user>``."""
        return cls(user_id=None, username=f"cli:{os_user}", role=Role.ADMIN, area_ids=None)
