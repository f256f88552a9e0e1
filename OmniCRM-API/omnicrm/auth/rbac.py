"""The permission decorator every endpoint declares, and the registry the permission-matrix test walks."""
import functools

from flask import g

from omnicrm.auth.authenticate import authenticate
from omnicrm.auth.permissions import CATALOGUE, canonical
from omnicrm.errors import Forbidden, Unauthorized
from omnicrm.provisioning.job_tokens import enforce as enforce_job_scope


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
            identity = authenticate()
            if identity is None:
                raise Unauthorized("Authentication required")
            g.customer_scope = None
            if not any(identity.has(p) for p in wanted):
                if own and identity.has(own) and identity.customer_id is not None:
                    g.customer_scope = identity.customer_id
                else:
                    raise Forbidden(f"Missing permission: {' or '.join(wanted)}",
                                    required_permissions=list(wanted))
            enforce_job_scope(identity)
            return fn(*args, **kwargs)

        wrapper.required_permissions = wanted
        wrapper.own_permission = own
        return wrapper

    return decorator


def authenticated(fn):
    """Any authenticated caller (e.g. "who am I", change my own password)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        identity = authenticate()
        if identity is None:
            raise Unauthorized("Authentication required")
        g.customer_scope = None
        enforce_job_scope(identity)
        return fn(*args, **kwargs)

    wrapper.required_permissions = ()
    wrapper.authenticated_only = True
    return wrapper


def public(fn):
    """Endpoints that need no credentials (login, health, password reset request)."""
    fn.is_public = True
    return fn
