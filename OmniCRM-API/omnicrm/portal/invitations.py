"""Subscriber logins created from the console (spec 07 §5.2): invite a customer's contact (a Customer-role user
linked to the contact, with a set-password link e-mailed through the welcome e-mail), list which contacts have a
login, disable or enable one."""
import secrets

from sqlalchemy import func, select

from omnicrm import db
from omnicrm.activity import log as activity
from omnicrm.auth import password_reset, service, sessions
from omnicrm.auth.identity import ensure_customer_visible
from omnicrm.auth.models import Role, User
from omnicrm.auth.permissions import staff_permissions
from omnicrm.common.serialize import iso
from omnicrm.customers.models import Contact
from omnicrm.customers.service import get_contact
from omnicrm.errors import Conflict, NotFound, ValidationError

CUSTOMER_ROLE = "Customer"


def _login_of(contact_id):
    return db.session.scalars(select(User).where(User.contact_id == contact_id, User.deleted.is_(False))
                              .order_by(User.id)).first()


def login_to_dict(contact, user):
    return {"contact_id": contact.contact_id, "customer_id": contact.customer_id,
            "name": f"{contact.contact_firstname} {contact.contact_lastname}".strip(),
            "contact_email": contact.contact_email, "has_login": user is not None,
            "user_id": user.id if user else None, "email": user.email if user else None,
            "active": bool(user.active) if user else None, "last_login": iso(user.last_login) if user else None,
            "invited": bool(user) and not user.login_count, "is_2fa_enabled": bool(user and user.is_2fa_enabled)}


def customer_logins(customer_id):
    ensure_customer_visible(customer_id)
    contacts = db.session.scalars(select(Contact).where(Contact.customer_id == customer_id)
                                  .order_by(Contact.contact_id)).all()
    return [login_to_dict(c, _login_of(c.contact_id)) for c in contacts]


def invite(contact_id, email=None):
    """Create the contact's subscriber login (Customer role, random unusable password) and e-mail the
    set-password link; 409 when the contact already has one or the address is taken."""
    contact = get_contact(contact_id)
    if _login_of(contact_id) is not None:
        raise Conflict("This contact already has a portal login")
    address = (email or contact.contact_email or "").strip().lower()
    if not address:
        raise ValidationError("Validation failed", errors={"email": "the contact has no e-mail address: give one"})
    if service.find_user_by_login(address) is not None:
        raise Conflict("A user with this e-mail address already exists", errors={"email": "already in use"})
    role = db.session.scalars(select(Role).where(func.lower(Role.name) == CUSTOMER_ROLE.lower())).first()
    if role is None:
        raise Conflict("The Customer role is missing; run omnicrm migrate")
    data = {"username": address, "email": address, "password": secrets.token_urlsafe(24) + "aA1!",
            "first_name": contact.contact_firstname or address, "last_name": contact.contact_lastname or "",
            "phone_number": contact.contact_phone}
    user = service.create_user(data, [role], contact_id=contact.contact_id)
    if staff_permissions(user.roles):  # the Customer role was given staff permissions: never for a subscriber
        raise Conflict("The Customer role holds staff permissions; fix the role before inviting subscribers")
    activity.record("contact", contact.contact_id, "portal_invite",
                    f"Portal login {address} invited for contact {contact.contact_id}", customer_id=contact.customer_id)
    db.session.commit()
    row = password_reset.send_welcome_email(user)
    body = login_to_dict(contact, user)
    body["invitation_status"] = row.status
    return body


def _customer_user(user_id):
    user = db.session.get(User, user_id)
    if user is None or user.deleted or user.contact_id is None:
        raise NotFound(f"Portal login {user_id} not found")
    contact = get_contact(user.contact_id)
    return user, contact


def set_active(user_id, active):
    user, contact = _customer_user(user_id)
    if user.active != active:
        user.active = active
        if not active:
            sessions.end_all(user.id)
        activity.record("user", user.id, "enable" if active else "disable",
                        f"Portal login {user.email} {'enabled' if active else 'disabled'}",
                        customer_id=contact.customer_id)
    db.session.commit()
    return login_to_dict(contact, user)
