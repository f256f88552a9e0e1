"""Subscribers' own API keys (spec 07 §6.13): shown once, read-only or read-write, expiry, confined to the owner's
customer; B's data stays 404 through A's key."""
from datetime import timedelta

from omnicrm.db import utcnow
from tests.services.helpers import create_service, make_customer

NEXT_MONTH = (utcnow() + timedelta(days=30)).date().isoformat()


def _two(app, client, admin_headers, make_user):
    a_customer, a_contact = make_customer(app, "Key A", with_contact=True)
    b_customer, _ = make_customer(app, "Key B")
    a_service = create_service(client, admin_headers, a_customer, service_uuid="Mobile_key_a")["service_id"]
    b_service = create_service(client, admin_headers, b_customer, service_uuid="Mobile_key_b")["service_id"]
    return make_user(roles=["Customer"], contact_id=a_contact), a_customer, b_customer, a_service, b_service


def test_read_only_key_acts_as_the_subscriber_within_its_customer(client, app, admin_headers, make_user):
    me, a_customer, b_customer, a_service, b_service = _two(app, client, admin_headers, make_user)
    created = client.post("/crm/portal/api_keys", headers=me,
                          json={"name": "Monitoring", "access": "read_only", "expiry_date": NEXT_MONTH})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["api_key"].startswith("sk_live_") and body["access"] == "read_only"
    listed = client.get("/crm/portal/api_keys", headers=me).get_json()
    assert [k["name"] for k in listed] == ["Monitoring"] and "..." in listed[0]["api_key"]  # shown once
    key = {"X-API-KEY": body["api_key"]}
    assert client.get(f"/crm/customer/customer_id/{a_customer}", headers=key).status_code == 200
    assert client.get(f"/crm/customer/customer_id/{b_customer}", headers=key).status_code == 404
    assert client.get(f"/crm/service/{b_service}", headers=key).status_code == 404
    assert [s["service_id"] for s in client.get("/crm/service/", headers=key).get_json()["data"]] == [a_service]
    # Read-only: no orders.
    order = client.put("/crm/provision/", headers=key, json={"service_id": a_service, "product_id": 1})
    assert order.status_code == 403
    assert client.get("/crm/auth/me", headers=key).get_json()["customer_id"] == a_customer
    # Revoked: refused at once.
    assert client.delete(f"/crm/portal/api_keys/{body['api_key_id']}", headers=me).status_code == 200
    assert client.get(f"/crm/customer/customer_id/{a_customer}", headers=key).status_code == 401


def test_read_write_key_rules(client, app, admin_headers, make_user):
    me, *_ = _two(app, client, admin_headers, make_user)
    rw = client.post("/crm/portal/api_keys", headers=me,
                     json={"name": "Scripts", "access": "read_write", "expiry_date": NEXT_MONTH}).get_json()
    assert rw["access"] == "read_write"
    bad = client.post("/crm/portal/api_keys", headers=me, json={"name": "X", "access": "admin",
                                                                 "expiry_date": "2001-01-01"})
    assert bad.status_code == 400 and set(bad.get_json()["errors"]) == {"access"}
    past = client.post("/crm/portal/api_keys", headers=me, json={"name": "X", "access": "read_only",
                                                                  "expiry_date": "2001-01-01"})
    assert past.status_code == 400 and "expiry_date" in past.get_json()["errors"]
    assert client.post("/crm/portal/api_keys", headers=me, json={"name": "X", "access": "read_only"}).status_code == 400
    # Staff use /crm/api-keys; another subscriber cannot revoke my key.
    assert client.post("/crm/portal/api_keys", headers=admin_headers,
                       json={"name": "X", "access": "read_only", "expiry_date": NEXT_MONTH}).status_code == 403
    other = make_user(roles=["Customer"], contact_id=make_customer(app, "Key C", with_contact=True)[1])
    assert client.delete(f"/crm/portal/api_keys/{rw['api_key_id']}", headers=other).status_code == 404
    # A disabled owner's keys stop working.
    client.post(f"/crm/portal/logins/user_id/{me.user_id}/disable", headers=admin_headers)
    assert client.get("/crm/service/", headers={"X-API-KEY": rw["api_key"]}).status_code == 401
