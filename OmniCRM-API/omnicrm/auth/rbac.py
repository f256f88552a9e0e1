"""The permission decorator every endpoint declares, and the registry the permission-matrix test walks."""
import functools

from flask import g

from omnicrm.auth import twofa
from omnicrm.auth.authenticate import authenticate
from omnicrm.auth.permissions import CATALOGUE, canonical
from omnicrm.errors import Forbidden, Unauthorized


PASSWORD_CHANGE = "password_change_required"
TWO_FACTOR_ENROLMENT = "two_factor_enrolment_required"
PENDING_STEP_MESSAGES = {
    PASSWORD_CHANGE: "Change your password first: POST /crm/auth/change_password",
    TWO_FACTOR_ENROLMENT: "Set up two-factor authentication first: POST /crm/2fa/enable/user/{user_id}",
}


def pending_step(identity):
    """What a logged-in user must do before anything else: replace a temporary password, then enrol in 2FA when
    the policy requires it; None when nothing is pending."""
    if identity.session_id is None:
        return None
    if identity.user.force_password_change:
        return PASSWORD_CHANGE
    return TWO_FACTOR_ENROLMENT if twofa.enrolment_required(identity.user) else None


def _caller(fn):
    """The authenticated identity for `fn`; 401 when anonymous, 403 while a step is pending that `fn` is not
    marked as part of (`allowed_while`)."""
    identity = authenticate()
    if identity is None:
        raise Unauthorized("Authentication required")
    step = pending_step(identity)
    if step and step not in getattr(fn, "allowed_steps", ()):
        raise Forbidden(PENDING_STEP_MESSAGES[step], **{step: True})
    return identity


def allowed_while(*steps):
    """Endpoints that stay usable while a step is pending (change-password, 2FA enrolment, logout)."""

    def mark(fn):
        fn.allowed_steps = steps
        return fn

    return mark


def requires(*permissions, own=None):
    """Allow callers holding any of `permissions`; with `own`, also callers holding that "view own" permission,
    limited to their own customer (handlers then call `ensure_customer_visible`)."""
    wanted = tuple(canonical(p) for p in permissions)
    own = canonical(own) if own else None
    for name in (*wanted, *((own,) if own else ())):
        if name not in CATALOGUE:
            raise ValueError(f"unknown permission {name!r}: add it to omnicrm.auth.permissions")

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            identity = _caller(fn)
            g.customer_scope = None
            if not any(identity.has(p) for p in wanted):
                if own and identity.has(own) and identity.customer_id is not None:
                    g.customer_scope = identity.customer_id
                else:
                    raise Forbidden(f"Missing permission: {' or '.join(wanted)}",
                                    required_permissions=list(wanted))
            return fn(*args, **kwargs)

        wrapper.required_permissions = wanted
        wrapper.own_permission = own
        return wrapper

    return decorator


def authenticated(fn):
    """Any authenticated caller (e.g. "who am I", change my own password)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _caller(fn)
        g.customer_scope = None
        return fn(*args, **kwargs)

    wrapper.required_permissions = ()
    wrapper.authenticated_only = True
    return wrapper


def public(fn):
    """Endpoints that need no credentials (login, health, password reset request)."""
    fn.is_public = True
    return fn
