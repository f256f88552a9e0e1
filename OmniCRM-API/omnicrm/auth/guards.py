"""Checks on changes to access itself (issue #11): nobody hands out access it does not hold, and no change leaves
the system without an active administrator or locks its author out; system callbacks come from systems."""
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth.identity import current_identity
from omnicrm.auth.models import Permission, User, role_permissions, user_roles
from omnicrm.auth.permissions import canonical, staff_permissions
from omnicrm.errors import Conflict, Forbidden, ValidationError

ADMIN_ROLE = "admin"  # API keys, whitelisted networks and provisioning act as the first user holding this role


def ensure_can_grant(permission_names, field="permissions"):
    """403 when the caller would give a key, user or role a permission it does not hold itself."""
    identity = current_identity()
    missing = sorted({canonical(p) for p in permission_names if not identity.has(p)})
    if missing:
        raise Forbidden("You cannot grant permissions you do not hold yourself",
                        errors={field: f"not held by you: {', '.join(missing)}"})


def ensure_can_grant_roles(roles, field="role"):
    ensure_can_grant({p.name for role in roles for p in role.permissions}, field)


def active_admin_ids():
    return set(db.session.scalars(
        select(User.id).join(user_roles, user_roles.c.user_id == User.id)
        .join(role_permissions, role_permissions.c.role_id == user_roles.c.role_id)
        .join(Permission, Permission.id == role_permissions.c.permission_id)
        .where(Permission.name == "admin", User.active.is_(True), User.deleted.is_(False))))


def ensure_admins_remain():
    """Call after applying a change to users or roles, before commit: 409 (and nothing saved) when the change
    leaves no active administrator, or when an administrator would take its own administration away."""
    db.session.flush()
    admins = active_admin_ids()
    if not admins:
        raise Conflict("This change would leave no active administrator")
    identity = current_identity()
    if identity.kind == "user" and identity.is_admin and identity.user_id not in admins:
        raise Conflict("You cannot remove your own administrator access; ask another administrator")


def ensure_customer_user(user, field):
    """400 when a user linked to a customer contact (a self-care user, confined to that customer) would hold a
    staff role: linking would lock a staff or admin account into one customer. `field` is the one the request
    changed (contact_id or role)."""
    if user.contact_id is None:
        return
    staff = staff_permissions(user.roles)
    if staff:
        raise ValidationError("A user linked to a customer contact is a customer user and cannot hold staff roles",
                              errors={field: "a contact-linked user cannot hold staff roles (permissions "
                                             f"{', '.join(staff[:5])}{', ...' if len(staff) > 5 else ''}); "
                                             "use a separate account for each"})


def ensure_role_fits_customer_users(role, field="permission_ids"):
    """400 when a role held by contact-linked users would gain a staff permission."""
    for user in role.users:
        if not user.deleted:
            ensure_customer_user(user, field)


def ensure_automated_caller(what):
    """Callbacks meant for systems (CGRateS *http_post, integrations) accept only API keys and whitelisted
    addresses, never a person's login; `what` names the callback in the 403."""
    identity = current_identity()
    if identity.kind not in ("api_key", "whitelist"):
        raise Forbidden(f"{what} accepts only API keys or whitelisted addresses")
