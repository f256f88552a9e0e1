"""Who is calling: a logged-in user, an API key or a whitelisted network, with its effective permissions."""
from dataclasses import dataclass, field

from flask import g
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth.models import Permission, Role, User, role_permissions, user_roles
from omnicrm.auth.permissions import CATALOGUE, canonical
from omnicrm.errors import Forbidden, NotFound


@dataclass
class Identity:
    kind: str  # "user", "api_key" or "whitelist"
    label: str  # how the activity log names the actor
    permissions: frozenset
    user: User | None = None  # the acting user; API keys and whitelisted calls act as the first admin
    customer_id: int | None = None  # set for customer users: the only customer they may see
    roles: list = field(default_factory=list)
    token_jti: str | None = None
    token_expires: object = None  # naive UTC expiry of the access token, for logout's revocation
    session_id: int | None = None  # the login session (omnicrm.auth.sessions) a user's token belongs to
    job_scope: object = None  # provisioning job tokens: the job's customer and inventory (provisioning.job_tokens)
    impersonator_id: int | None = None  # the staff user acting as this user (the token's impersonator_id claim)

    @property
    def is_customer_user(self):
        """A user linked to a customer contact: confined to that customer whatever its roles hold."""
        return self.customer_id is not None

    @property
    def is_admin(self):
        return "admin" in self.permissions

    def has(self, permission):
        return self.is_admin or canonical(permission) in self.permissions

    @property
    def user_id(self):
        return self.user.id if self.user else None


def permissions_of_roles(role_names):
    """Union of the permissions of the named roles (case-insensitive names). A name that is a permission of the
    catalogue grants that permission, as in spec 03's API-key example (`view_customer`, `view_service`); any other
    name grants nothing."""
    wanted = {r.lower() for r in role_names}
    if not wanted:
        return frozenset()
    rows = db.session.execute(
        select(Role.name, Permission.name)
        .join(role_permissions, role_permissions.c.role_id == Role.id)
        .join(Permission, Permission.id == role_permissions.c.permission_id)
    ).all()
    perms = {perm for role, perm in rows if role.lower() in wanted}
    perms |= {canonical(name) for name in wanted if canonical(name) in CATALOGUE}
    if "admin" in wanted:
        perms.add("admin")
    return frozenset(perms)


def permissions_of_user(user):
    rows = db.session.scalars(
        select(Permission.name)
        .join(role_permissions, role_permissions.c.permission_id == Permission.id)
        .join(user_roles, user_roles.c.role_id == role_permissions.c.role_id)
        .where(user_roles.c.user_id == user.id)
    ).all()
    return frozenset(rows)


def effective_permission_names(permissions):
    """All permission names an identity holds; `admin` expands to the whole catalogue."""
    if "admin" in permissions:
        return sorted(CATALOGUE)
    return sorted(permissions)


def first_admin_user():
    """The user API-key and whitelisted calls act as (spec: `initiating_user` is the first admin)."""
    return db.session.scalars(
        select(User).join(user_roles, user_roles.c.user_id == User.id)
        .join(Role, Role.id == user_roles.c.role_id)
        .where(Role.name == "admin", User.deleted.is_(False)).order_by(User.id).limit(1)
    ).first()


def identity_for_user(user, jti=None, expires=None):
    customer_id = user.contact.customer_id if user.contact is not None else None
    return Identity(kind="user", label=f"user:{user.email}", permissions=permissions_of_user(user), user=user,
                    customer_id=customer_id, roles=[r.name for r in user.roles], token_jti=jti,
                    token_expires=expires)


def current_identity():
    return getattr(g, "identity", None)


def customer_scope():
    """None when the caller may see every customer, else the one customer id it is limited to."""
    return getattr(g, "customer_scope", None)


def ensure_customer_visible(customer_id):
    """Customer users get 404 (never 403) for records of other customers, so existence does not leak."""
    scope = customer_scope()
    if scope is not None and customer_id != scope:
        raise NotFound("Not found")


def require_permission(permission):
    """For checks inside a handler (e.g. a secret field needs an extra permission)."""
    identity = current_identity()
    if identity is None or not identity.has(permission):
        raise Forbidden(f"Missing permission: {canonical(permission)}")
