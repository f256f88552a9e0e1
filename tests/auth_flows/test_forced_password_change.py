"""Issue #11 finding 6 as the attack: a user told to change an admin-set password ignores the console and calls the
API directly, or keeps using the temporary password."""
from tests.conftest import bearer, login

TEMP = "Temp0rary!x"
CHOSEN = "M1ne-Password!"
USER = {"username": "temp", "email": "temp@example.com", "password": "F1rst-Password!", "first_name": "T",
        "last_name": "Emp", "role": "Support"}


def _user_with_temporary_password(client, admin_headers, force_change=True):
    user_id = client.post("/crm/auth/users", headers=admin_headers, json=USER).get_json()["id"]
    reset = client.post(f"/crm/auth/users/{user_id}/admin_reset_password", headers=admin_headers,
                        json={"new_password": TEMP, "force_change": force_change})
    assert reset.status_code == 200
    return user_id


def test_api_refuses_everything_but_change_password_and_logout_until_changed(client, admin_headers):
    _user_with_temporary_password(client, admin_headers)
    session = login(client, USER["email"], TEMP)
    assert session["force_password_change"] is True
    headers = bearer(session["token"])
    for path in ("/crm/customers", "/crm/auth/me"):
        refused = client.get(path, headers=headers)
        assert refused.status_code == 403, path
        assert refused.get_json()["password_change_required"] is True
    refreshed = client.post("/crm/auth/refresh", json={"refresh_token": session["refresh_token"]}).get_json()
    assert client.get("/crm/customers", headers=bearer(refreshed["token"])).status_code == 403
    changed = client.post("/crm/auth/change_password", headers=headers,
                          json={"current_password": TEMP, "new_password": CHOSEN})
    assert changed.status_code == 200 and changed.get_json()["force_password_change"] is False
    assert client.get("/crm/customers", headers=bearer(changed.get_json()["token"])).status_code == 200


def test_logout_is_allowed_before_the_change(client, admin_headers):
    _user_with_temporary_password(client, admin_headers)
    session = login(client, USER["email"], TEMP)
    assert client.post("/crm/auth/logout", headers=bearer(session["token"])).status_code == 200


def test_temporary_password_works_for_one_login_only(client, admin_headers):
    _user_with_temporary_password(client, admin_headers, force_change=False)
    login(client, USER["email"], TEMP)
    again = client.post("/crm/auth/login", json={"email": USER["email"], "password": TEMP})
    assert again.status_code == 401
    assert "already been used" in again.get_json()["message"]
    # A wrong password still gets the plain answer: the message needs the temporary password.
    wrong = client.post("/crm/auth/login", json={"email": USER["email"], "password": "Wr0ng-pass!"})
    assert wrong.get_json()["message"] == "Invalid email or password"


def test_chosen_password_is_permanent(client, admin_headers):
    _user_with_temporary_password(client, admin_headers)
    session = login(client, USER["email"], TEMP)
    client.post("/crm/auth/change_password", headers=bearer(session["token"]),
                json={"current_password": TEMP, "new_password": CHOSEN})
    login(client, USER["email"], CHOSEN)
    login(client, USER["email"], CHOSEN)
