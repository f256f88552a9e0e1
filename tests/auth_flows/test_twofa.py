"""Two-factor authentication over HTTP with real logins (spec 01 acceptance 1-7, spec 07 acceptance 57-61)."""
import json
import re
import time

import pyotp
from sqlalchemy import update

from omnicrm import db
from omnicrm.auth.models import User
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, bearer, login


def _steady_clock():
    """Wait out the last seconds of a 30 s window so a code computed now is checked in the same window."""
    left = 30 - time.time() % 30
    if left < 3:
        time.sleep(left + 0.1)


def code(totp, windows=0):
    """The TOTP code `windows` 30-second steps away from now (-1: previous, +1: next)."""
    _steady_clock()
    return totp.at(time.time() + 30 * windows)


def wrong_code(valid_codes):
    """A code of the same length that is none of `valid_codes`."""
    width = len(valid_codes[0])
    return next(c for c in (f"{n:0{width}d}" for n in range(10)) if c not in valid_codes)


def enable(client, headers, user_id, password):
    response = client.post(f"/crm/2fa/enable/user/{user_id}", json={"password": password}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def enrol(client, headers):
    """Enable and confirm 2FA for the user of `headers`; returns (totp, backup codes). The current window's code
    is used by the setup, so logins in these tests use other windows' codes."""
    body = enable(client, headers, headers.user_id, headers.password)
    totp = pyotp.TOTP(body["totp_secret"])
    confirmed = client.post(f"/crm/2fa/verify-setup/user/{headers.user_id}", json={"code": code(totp)},
                            headers=headers)
    assert confirmed.status_code == 200 and confirmed.get_json() == {"verified": True}
    return totp, body["backup_codes"]


def first_step(client, headers):
    body = login(client, headers.email, headers.password)
    assert body["2fa_required"] is True and "token" not in body and "refresh_token" not in body
    return body["mfa_token"]


def verify(client, user_id, code_value, mfa_token):
    return client.post(f"/crm/2fa/verify/user/{user_id}", json={"code": code_value, "mfa_token": mfa_token})


def _user(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id)


def _backup_code_count(app, user_id):
    from omnicrm.auth.twofa import _backup_hashes
    with app.app_context():
        return len(_backup_hashes(db.session.get(User, user_id)))


def test_enable_returns_secret_uri_and_ten_backup_codes(app, client, make_user):
    user = make_user(permissions=["view_customer"])
    body = enable(client, user, user.user_id, user.password)
    secret = body["totp_secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert body["qr_code_url"] == f"otpauth://totp/OmniCRM:{user.email}?secret={secret}&issuer=OmniCRM"
    codes = body["backup_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10 and all(re.fullmatch(r"\d{8}", c) for c in codes)
    stored = _user(app, user.user_id)
    assert stored.is_2fa_enabled is False  # active only after verify-setup
    assert stored.totp_secret and secret not in stored.totp_secret  # encrypted at rest
    assert not any(c in stored.backup_codes for c in codes) and _backup_code_count(app, user.user_id) == 10
    assert "token" in login(client, user.email, user.password)  # no second step before confirmation


def test_enable_with_wrong_password_changes_nothing(app, client, make_user):
    user = make_user(permissions=["view_customer"])
    response = client.post(f"/crm/2fa/enable/user/{user.user_id}", json={"password": "Wrong123!"}, headers=user)
    assert response.status_code == 400 and response.get_json()["errors"] == {"password": "is not correct"}
    assert _user(app, user.user_id).totp_secret is None
    assert client.post(f"/crm/2fa/enable/user/{user.user_id}", json={}, headers=user).status_code == 400


def test_verify_setup_needs_a_valid_code_then_enables_2fa(app, client, make_user, admin_headers):
    user = make_user(permissions=["view_customer"])
    totp = pyotp.TOTP(enable(client, user, user.user_id, user.password)["totp_secret"])
    wrong = client.post(f"/crm/2fa/verify-setup/user/{user.user_id}",
                        json={"code": wrong_code([code(totp, w) for w in (-1, 0, 1)])}, headers=user)
    assert wrong.status_code == 400 and _user(app, user.user_id).is_2fa_enabled is False
    ok = client.post(f"/crm/2fa/verify-setup/user/{user.user_id}", json={"code": code(totp)}, headers=user)
    assert ok.status_code == 200 and ok.get_json() == {"verified": True}
    assert client.get(f"/crm/auth/users/{user.user_id}", headers=admin_headers).get_json()["is_2fa_enabled"]
    again = client.post(f"/crm/2fa/enable/user/{user.user_id}", json={"password": user.password}, headers=user)
    assert again.status_code == 409


def test_login_with_2fa_needs_the_second_step(app, client, make_user):
    user = make_user(permissions=["view_customer"])
    totp, _codes = enrol(client, user)
    mfa_token = first_step(client, user)
    assert client.get("/crm/auth/me", headers=bearer(mfa_token)).status_code == 401  # not a session
    response = verify(client, user.user_id, code(totp, +1), mfa_token)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["token"] and body["refresh_token"] and body["user"]["email"] == user.email
    assert body["user"]["is_2fa_enabled"] is True and body["user"]["login_count"] == 2
    assert client.get("/crm/auth/me", headers=bearer(body["token"])).status_code == 200
    assert client.post("/crm/auth/refresh", json={"refresh_token": body["refresh_token"]}).status_code == 200
    reused = verify(client, user.user_id, code(totp, -1), mfa_token)
    assert reused.status_code == 401  # the mfa_token works once


def test_codes_from_adjacent_windows_are_accepted_two_windows_old_rejected(client, make_user):
    user = make_user(permissions=["view_customer"])
    totp, _codes = enrol(client, user)
    mfa_token = first_step(client, user)
    old = verify(client, user.user_id, code(totp, -2), mfa_token)
    assert old.status_code == 400 and "code" in old.get_json()["errors"]
    assert verify(client, user.user_id, code(totp, +2), mfa_token).status_code == 400
    assert verify(client, user.user_id, code(totp, -1), mfa_token).status_code == 200
    assert verify(client, user.user_id, code(totp, +1), first_step(client, user)).status_code == 200


def test_a_totp_code_is_accepted_once(client, make_user):
    user = make_user(permissions=["view_customer"])
    totp, _codes = enrol(client, user)
    used = code(totp, +1)
    assert verify(client, user.user_id, used, first_step(client, user)).status_code == 200
    assert verify(client, user.user_id, used, first_step(client, user)).status_code == 400


def test_backup_code_works_once_in_place_of_totp(app, client, make_user):
    user = make_user(permissions=["view_customer"])
    _totp, codes = enrol(client, user)
    first = verify(client, user.user_id, codes[0], first_step(client, user))
    assert first.status_code == 200 and first.get_json()["token"]
    assert _backup_code_count(app, user.user_id) == 9
    assert verify(client, user.user_id, codes[0], first_step(client, user)).status_code == 400
    assert verify(client, user.user_id, f"{codes[1][:4]}-{codes[1][4:]}", first_step(client, user)).status_code \
        == 200


def test_mfa_token_is_bound_to_its_user_and_required(client, make_user):
    alice, bob = make_user(permissions=["view_customer"]), make_user(permissions=["view_customer"])
    alice_totp, _ = enrol(client, alice)
    enrol(client, bob)
    bobs_token = first_step(client, bob)
    assert verify(client, alice.user_id, code(alice_totp, 1), bobs_token).status_code == 401
    missing = client.post(f"/crm/2fa/verify/user/{alice.user_id}", json={"code": code(alice_totp, 1)})
    assert missing.status_code == 400 and "mfa_token" in missing.get_json()["errors"]
    assert verify(client, alice.user_id, "123456", "not-a-token").status_code == 401


def test_repeated_wrong_codes_are_throttled(client, make_user):
    user = make_user(permissions=["view_customer"])
    totp, codes = enrol(client, user)
    mfa_token = first_step(client, user)
    wrong = wrong_code(codes)
    statuses = [verify(client, user.user_id, wrong, mfa_token).status_code for _ in range(9)]  # + setup = 10
    assert set(statuses) == {400}
    assert verify(client, user.user_id, code(totp, 1), mfa_token).status_code == 429


def test_regenerate_backup_codes(client, make_user):
    user = make_user(permissions=["view_customer"])
    _totp, old_codes = enrol(client, user)
    path = f"/crm/2fa/backup-codes/regenerate/user/{user.user_id}"
    assert client.post(path).status_code == 401
    response = client.post(path, headers=user)
    assert response.status_code == 200
    new_codes = response.get_json()["backup_codes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert verify(client, user.user_id, old_codes[0], first_step(client, user)).status_code == 400
    assert verify(client, user.user_id, new_codes[0], first_step(client, user)).status_code == 200


def test_admin_disable_lets_the_user_log_in_with_password_only(app, client, make_user, admin_headers):
    user = make_user(permissions=["view_customer"])
    enrol(client, user)
    path = f"/crm/2fa/admin/disable/user/{user.user_id}"
    assert client.post(path, headers=user).status_code == 403  # not an admin, even for itself
    response = client.post(path, headers=admin_headers)
    assert response.status_code == 200 and "password only" in response.get_json()["message"]
    stored = _user(app, user.user_id)
    assert (stored.is_2fa_enabled, stored.totp_secret, stored.backup_codes) == (False, None, None)
    assert login(client, user.email, user.password)["token"]


def test_reset_for_new_device_needs_a_backup_code(app, client, make_user):
    user = make_user(permissions=["view_customer"])
    old_totp, codes = enrol(client, user)
    path = f"/crm/2fa/reset-for-new-device/user/{user.user_id}"
    assert client.post(path, json={"backup_code": wrong_code(codes)}, headers=user).status_code == 400
    bad = client.post(path, json={"backup_code": "1234"}, headers=user)
    assert bad.status_code == 400 and "backup_code" in bad.get_json()["errors"]
    response = client.post(path, json={"backup_code": codes[0]}, headers=user)
    assert response.status_code == 200
    body = response.get_json()
    assert body["totp_secret"] != old_totp.secret and len(body["backup_codes"]) == 10
    assert body["qr_code_url"].startswith("otpauth://totp/OmniCRM:")
    new_totp = pyotp.TOTP(body["totp_secret"])
    assert verify(client, user.user_id, codes[1], first_step(client, user)).status_code == 400
    assert verify(client, user.user_id, code(new_totp, 1), first_step(client, user)).status_code == 200
    assert _user(app, user.user_id).is_2fa_enabled is True


def test_clearing_totp_secret_in_the_database_resets_2fa(app, client, make_user):
    user = make_user(permissions=["view_customer"])
    enrol(client, user)
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.user_id).values(totp_secret=None))
        db.session.commit()
    session = login(client, user.email, user.password)
    assert session["token"]
    body = enable(client, bearer(session["token"]), user.user_id, user.password)
    assert body["totp_secret"] and len(body["backup_codes"]) == 10


def test_users_manage_only_their_own_2fa_admins_anyones(app, client, make_user, admin_headers):
    alice, bob = make_user(permissions=["view_customer"]), make_user(roles=["Customer"])
    denied = client.post(f"/crm/2fa/enable/user/{bob.user_id}", json={"password": alice.password}, headers=alice)
    assert denied.status_code == 403 and _user(app, bob.user_id).totp_secret is None
    assert client.post(f"/crm/2fa/backup-codes/regenerate/user/{bob.user_id}", headers=alice).status_code == 403
    by_admin = client.post(f"/crm/2fa/enable/user/{bob.user_id}", json={"password": ADMIN_PASSWORD},
                           headers=admin_headers)
    assert by_admin.status_code == 200 and f"OmniCRM:{bob.email}" in by_admin.get_json()["qr_code_url"]
    # a customer-role user may use 2FA too (the portal just does not prompt for it)
    totp = pyotp.TOTP(by_admin.get_json()["totp_secret"])
    assert client.post(f"/crm/2fa/verify-setup/user/{bob.user_id}", json={"code": code(totp)},
                       headers=bob).status_code == 200
    assert verify(client, bob.user_id, code(totp, 1), first_step(client, bob)).status_code == 200
    assert login(client, ADMIN_EMAIL, ADMIN_PASSWORD)["token"]
