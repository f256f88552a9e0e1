"""Issue #11 finding 8: TOTP secrets and backup codes are protected by the separate encryption key, so rotating
jwt_secret (as spec 01 §5.12 recommends) keeps every enrolment, and the encryption key itself can be rotated with
`omnicrm rotate-encryption-key`."""
import hashlib

import pytest
from click.testing import CliRunner

from omnicrm import db
from omnicrm.auth.models import User
from omnicrm.cli import rotate_encryption_key_command
from tests.auth_flows.test_twofa import code, enrol, first_step, verify

NEW_KEY = "n" * 48


@pytest.fixture
def swap_config(app):
    crm = app.config["CRM"]
    saved = crm["jwt_secret"], app.config["JWT_SECRET_KEY"], crm["encryption_key"]

    def swap(**changes):
        if "jwt_secret" in changes:
            crm["jwt_secret"] = app.config["JWT_SECRET_KEY"] = changes["jwt_secret"]
        if "encryption_key" in changes:
            crm["encryption_key"] = changes["encryption_key"]

    yield swap
    crm["jwt_secret"], app.config["JWT_SECRET_KEY"], crm["encryption_key"] = saved


def _login_with_totp(client, user, totp):
    return verify(client, user.user_id, code(totp, 1), first_step(client, user))


def test_rotating_jwt_secret_keeps_2fa_enrolments(client, make_user, swap_config):
    user = make_user(permissions=["view_customer"])
    totp, backup_codes = enrol(client, user)
    swap_config(jwt_secret="r" * 64)
    assert _login_with_totp(client, user, totp).status_code == 200
    assert verify(client, user.user_id, backup_codes[0], first_step(client, user)).status_code == 200


def test_a_database_copy_does_not_reveal_backup_code_hashes(app, client, make_user):
    user = make_user(permissions=["view_customer"])
    _, backup_codes = enrol(client, user)
    with app.app_context():
        stored = db.session.get(User, user.user_id).backup_codes
    # Unkeyed hashes of 8-digit codes would be brute-forced in seconds: the list is encrypted as a whole.
    assert not any(hashlib.sha256(c.encode()).hexdigest() in stored for c in backup_codes)


def _inventory_item_with_secret(app):
    from omnicrm.inventory import secrets
    from omnicrm.inventory.models import Inventory, InventoryTemplate
    with app.app_context():
        template = InventoryTemplate(item="SIM")
        db.session.add(template)
        db.session.flush()
        item = Inventory(item="SIM", inventory_template_id=template.inventory_template_id, itemtext1="8961",
                         management_password=secrets.encrypt("router-pass"))
        db.session.add(item)
        db.session.commit()
        return item.inventory_id


def _inventory_secret(app, inventory_id):
    from omnicrm.inventory import secrets
    from omnicrm.inventory.models import Inventory
    with app.app_context():
        return secrets.decrypt(db.session.get(Inventory, inventory_id).management_password)


def test_encryption_key_rotation_command(app, client, make_user, swap_config, monkeypatch):
    user = make_user(permissions=["view_customer"])
    totp, backup_codes = enrol(client, user)
    inventory_id = _inventory_item_with_secret(app)
    old_key = app.config["CRM"]["encryption_key"]
    swap_config(encryption_key=NEW_KEY)
    unreadable = _login_with_totp(client, user, totp)
    assert unreadable.status_code == 409 and "rotate-encryption-key" in unreadable.get_json()["message"]
    with pytest.raises(RuntimeError):
        _inventory_secret(app, inventory_id)

    monkeypatch.setenv("OMNICRM_OLD_ENCRYPTION_KEY", old_key)
    with app.app_context():
        result = CliRunner().invoke(rotate_encryption_key_command, [])
    assert result.exit_code == 0, result.output
    assert "1 user" in result.output and "1 inventory item" in result.output
    assert _login_with_totp(client, user, totp).status_code == 200
    assert _inventory_secret(app, inventory_id) == "router-pass"  # readable under the new key
    assert verify(client, user.user_id, backup_codes[1], first_step(client, user)).status_code == 200


def test_2fa_without_an_encryption_key_is_a_clear_503(client, make_user, swap_config):
    user = make_user(permissions=["view_customer"])
    swap_config(encryption_key=None)
    response = client.post(f"/crm/2fa/enable/user/{user.user_id}", json={"password": user.password}, headers=user)
    assert response.status_code == 503 and "OMNICRM_ENCRYPTION_KEY" in response.get_json()["message"]
