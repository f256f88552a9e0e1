"""The permission decorator every endpoint declares, and the registry the permission-matrix test walks."""
import functools

from flask import g

from omnicrm.auth import twofa
from omnicrm.auth.authenticate import authenticate
from omnicrm.auth.permissions import CATALOGUE, canonical
from omnicrm.errors import Forbidden, Unauthorized
from omnicrm.provisioning.job_tokens import enforce as enforce_job_scope


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


def allowed_while(*steps):
    """Endpoints that stay usable while a step is pending (change-password, 2FA enrolment, logout)."""

    def mark(fn):
        fn.allowed_steps = steps
        return fn

    return mark


def requires(*permissions, own=None, self_care=False):
    """Allow callers holding any of `permissions`; with `own`, also callers holding that "view own" permission.

    Customer users (users linked to a customer contact) are always limited to their own customer, whichever
    permission let them in: they reach only endpoints declared for them (`own=...`, or `self_care=True` when the
    handler checks the customer itself), and those handlers call `ensure_customer_visible` / `customer_scope()`.
    Any other endpoint refuses them even if an operator grants their role its permission."""
    wanted = tuple(canonical(p) for p in permissions)
    own = canonical(own) if own else None
    for name in (*wanted, *((own,) if own else ())):
        if name not in CATALOGUE:
            raise ValueError(f"unknown permission {name!r}: add it to omnicrm.auth.permissions")
    open_to_customers = bool(own) or self_care

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            identity = _caller(fn)
            if identity.is_customer_user and not open_to_customers:
                raise Forbidden("Not available to customer accounts")
            allowed = any(identity.has(p) for p in wanted) or \
                (own is not None and identity.is_customer_user and identity.has(own))
            if not allowed:
                raise Forbidden(f"Missing permission: {' or '.join(wanted)}", required_permissions=list(wanted))
            return fn(*args, **kwargs)

        wrapper.required_permissions = wanted
        wrapper.own_permission = own
        wrapper.open_to_customers = open_to_customers
        return wrapper

    return decorator


def _caller(fn):
    """The authenticated identity for `fn` (401 without one), with its customer scope set for the handler; 403
    while a step is pending that `fn` is not marked as part of (`allowed_while`)."""
    identity = authenticate()
    if identity is None:
        raise Unauthorized("Authentication required")
    step = pending_step(identity)
    if step and step not in getattr(fn, "allowed_steps", ()):
        raise Forbidden(PENDING_STEP_MESSAGES[step], **{step: True})
    g.customer_scope = identity.customer_id if identity.is_customer_user else None
    enforce_job_scope(identity)
    return identity


def authenticated(fn):
    """Any authenticated caller (e.g. "who am I", change my own password)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _caller(fn)
        return fn(*args, **kwargs)

    wrapper.required_permissions = ()
    wrapper.authenticated_only = True
    return wrapper


def public(fn):
    """Endpoints that need no credentials (login, health, password reset request)."""
    fn.is_public = True
    return fn
