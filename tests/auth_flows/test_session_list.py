"""Session list (issue #11 build): a user sees its live sessions (device, IP, last use) and ends any; an
administrator ends every session of a user."""
from tests.conftest import bearer, login


def _login_from(client, user, device, ip):
    response = client.post("/crm/auth/login", json={"email": user.email, "password": user.password},
                           headers={"User-Agent": device}, environ_base={"REMOTE_ADDR": ip})
    return response.get_json()


def test_user_sees_its_sessions_and_ends_one(client, make_user):
    user = make_user(permissions=["view_customer"])
    phone = _login_from(client, user, "Phone Browser/1.0", "10.1.1.1")
    laptop = _login_from(client, user, "Laptop Browser/2.0", "10.2.2.2")
    listed = client.get("/crm/auth/sessions", headers=bearer(laptop["token"]))
    assert listed.status_code == 200
    rows = listed.get_json()
    assert len(rows) == 3  # make_user's own login too
    by_device = {r["device"]: r for r in rows}
    assert by_device["Phone Browser/1.0"]["ip"] == "10.1.1.1" and by_device["Phone Browser/1.0"]["last_used"]
    assert by_device["Laptop Browser/2.0"]["current"] is True
    phone_id = by_device["Phone Browser/1.0"]["id"]

    assert client.delete(f"/crm/auth/sessions/{phone_id}", headers=bearer(laptop["token"])).status_code == 200
    assert client.get("/crm/auth/me", headers=bearer(phone["token"])).status_code == 401
    assert client.post("/crm/auth/refresh", json={"refresh_token": phone["refresh_token"]}).status_code == 401
    assert client.get("/crm/auth/me", headers=bearer(laptop["token"])).status_code == 200
    assert phone_id not in [r["id"] for r in client.get("/crm/auth/sessions", headers=bearer(laptop["token"])
                                                        ).get_json()]


def test_a_user_cannot_end_someone_elses_session(client, make_user):
    alice, bob = make_user(permissions=["view_customer"]), make_user(permissions=["view_customer"])
    bob_session = client.get("/crm/auth/sessions", headers=bob).get_json()[0]["id"]
    assert client.delete(f"/crm/auth/sessions/{bob_session}", headers=alice).status_code == 404
    assert client.get("/crm/auth/me", headers=bob).status_code == 200
    assert client.get(f"/crm/auth/users/{bob.user_id}/sessions", headers=alice).status_code == 403


def test_admin_ends_every_session_of_a_user(client, make_user, admin_headers):
    user = make_user(permissions=["view_customer"])
    other = login(client, user.email, user.password)
    assert len(client.get(f"/crm/auth/users/{user.user_id}/sessions", headers=admin_headers).get_json()) == 2
    ended = client.delete(f"/crm/auth/users/{user.user_id}/sessions", headers=admin_headers)
    assert ended.status_code == 200 and ended.get_json()["ended"] == 2
    for session in (user.session, other):
        assert client.get("/crm/auth/me", headers=bearer(session["token"])).status_code == 401
        assert client.post("/crm/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401
    assert client.get(f"/crm/auth/users/{user.user_id}/sessions", headers=admin_headers).get_json() == []
