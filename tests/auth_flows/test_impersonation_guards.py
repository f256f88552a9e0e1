"""Issue #11 finding 11: the "not while impersonating" guards read the token's impersonator_id claim, the value an
impersonation session carries (spec 05 §7.6), instead of a value nothing set."""
from omnicrm import db
from omnicrm.auth import sessions
from omnicrm.auth.models import User
from omnicrm.auth.tokens import issue_tokens
from tests.conftest import bearer


def _impersonation_headers(app, user_id, impersonator_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        session = sessions.start(user, "127.0.0.1", "test", remember=False)
        db.session.commit()
        access, _ = issue_tokens(user, session, extra_claims={"impersonator_id": impersonator_id})
    return bearer(access)


def test_password_and_2fa_cannot_be_changed_while_impersonating(client, app, make_user):
    customer = make_user(permissions=["view_own_customer"])
    staff = make_user(permissions=["can_impersonate"])
    headers = _impersonation_headers(app, customer.user_id, impersonator_id=staff.user_id)
    assert client.get("/crm/auth/me", headers=headers).get_json()["label"].endswith(f"(impersonated by {staff.email})")
    changed = client.post("/crm/auth/change_password", headers=headers,
                          json={"current_password": customer.password, "new_password": "Takeover-1!"})
    assert changed.status_code == 400 and "impersonating" in changed.get_json()["message"]
    enrol = client.post(f"/crm/2fa/enable/user/{customer.user_id}", headers=headers,
                        json={"password": customer.password})
    assert enrol.status_code == 403 and "impersonating" in enrol.get_json()["message"]
    # The user itself still can.
    assert client.post(f"/crm/2fa/enable/user/{customer.user_id}", headers=customer,
                       json={"password": customer.password}).status_code == 200
