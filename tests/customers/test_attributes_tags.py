"""Attributes (spec 01 §4) and tags (spec 02 §5) over HTTP."""
import re

from tests.customers.helpers import activity_entries, create_customer

SPEC_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


def test_attribute_crud_matches_the_spec(app, client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    response = client.put("/crm/attribute/", json={"customer_id": cid, "attribute_name": "external_crm_id",
                                                   "attribute_value": "SF-12345"}, headers=admin_headers)
    assert response.status_code == 201
    created = response.get_json()
    assert set(created) == {"attribute_id", "customer_id", "attribute_name", "attribute_value", "created",
                            "last_modified"}
    assert SPEC_TIME.match(created["created"]) and SPEC_TIME.match(created["last_modified"])
    aid = created["attribute_id"]
    assert client.get(f"/crm/attribute/attribute_id/{aid}", headers=admin_headers).get_json() == created
    assert client.get(f"/crm/attribute/customer_id/{cid}", headers=admin_headers).get_json() == [created]
    response = client.patch(f"/crm/attribute/attribute_id/{aid}", json={"attribute_value": "SF-54321"},
                            headers=admin_headers)
    assert response.get_json()["attribute_value"] == "SF-54321"
    assert response.get_json()["created"] == created["created"]
    # PUT with an existing name updates that attribute
    response = client.put("/crm/attribute/", json={"customer_id": cid, "attribute_name": "external_crm_id",
                                                   "attribute_value": "SF-1"}, headers=admin_headers)
    assert response.status_code == 200 and response.get_json()["attribute_id"] == aid
    assert client.delete(f"/crm/attribute/attribute_id/{aid}", headers=admin_headers).get_json() == \
        {"result": "success"}
    assert client.get(f"/crm/attribute/attribute_id/{aid}", headers=admin_headers).status_code == 404
    log = activity_entries(app, cid, "attribute")
    assert [e["action"] for e in log] == ["create", "update", "update", "delete"]
    assert log[1]["changes"]["attribute_value"] == {"before": "SF-12345", "after": "SF-54321"}


def test_attribute_value_over_150_characters_is_rejected_clearly(app, client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    response = client.put("/crm/attribute/", json={"customer_id": cid, "attribute_name": "notes",
                                                   "attribute_value": "x" * 151}, headers=admin_headers)
    assert response.status_code == 400
    assert "at most 150 characters (it has 151)" in response.get_json()["errors"]["attribute_value"]
    assert client.get(f"/crm/attribute/customer_id/{cid}", headers=admin_headers).get_json() == []
    ok = client.put("/crm/attribute/", json={"customer_id": cid, "attribute_name": "notes",
                                             "attribute_value": "x" * 150}, headers=admin_headers)
    assert ok.status_code == 201
    response = client.put("/crm/attribute/", json={"customer_id": cid, "attribute_name": "bad name"},
                          headers=admin_headers)
    assert set(response.get_json()["errors"]) == {"attribute_name", "attribute_value"}


def test_attribute_rename_onto_existing_name_conflicts(client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    first = client.put("/crm/attribute/", json={"customer_id": cid, "attribute_name": "a", "attribute_value": "1"},
                       headers=admin_headers).get_json()
    client.put("/crm/attribute/", json={"customer_id": cid, "attribute_name": "b", "attribute_value": "2"},
               headers=admin_headers)
    response = client.patch(f"/crm/attribute/attribute_id/{first['attribute_id']}", json={"attribute_name": "b"},
                            headers=admin_headers)
    assert response.status_code == 409


def test_each_attribute_operation_needs_its_permission(client, admin_headers, make_user):
    cid = create_customer(client, admin_headers)["customer_id"]
    aid = client.put("/crm/attribute/", json={"customer_id": cid, "attribute_name": "a", "attribute_value": "1"},
                     headers=admin_headers).get_json()["attribute_id"]
    nobody = make_user(permissions=["view_customer"])
    assert client.put("/crm/attribute/", json={"customer_id": cid, "attribute_name": "b", "attribute_value": "1"},
                      headers=nobody).status_code == 403
    assert client.get(f"/crm/attribute/attribute_id/{aid}", headers=nobody).status_code == 403
    assert client.patch(f"/crm/attribute/attribute_id/{aid}", json={"attribute_value": "2"},
                        headers=nobody).status_code == 403
    assert client.delete(f"/crm/attribute/attribute_id/{aid}", headers=nobody).status_code == 403
    viewer = make_user(permissions=["view_customer_attribute"])
    assert client.get(f"/crm/attribute/attribute_id/{aid}", headers=viewer).status_code == 200


def test_tag_crud_and_display_window(app, client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    response = client.put("/crm/tag/", json={
        "tag_text": "Cliente VIP", "tag_hex_color": "FFD700", "tag_link": "https://example.com/vip",
        "tag_active_date": "2025-01-01 00:00:00", "tag_deactivate_date": "2099-12-31 23:59:59",
        "customer_id": cid}, headers=admin_headers)
    assert response.status_code == 201
    tag = response.get_json()
    assert tag["tag_active"] is True and tag["tag_deactivate_date"] == "2099-12-31 23:59:59"
    future = client.put("/crm/tag/", json={"customer_id": cid, "tag_text": "Later", "tag_hex_color": "#00ff00",
                                           "tag_active_date": "2098-01-01"}, headers=admin_headers).get_json()
    assert future["tag_active"] is False and future["tag_hex_color"] == "00FF00"
    assert future["tag_deactivate_date"] == "2099-01-01 00:00:00"
    listed = client.get(f"/crm/tag/customer_id/{cid}", headers=admin_headers).get_json()
    assert [t["tag_id"] for t in listed] == [tag["tag_id"], future["tag_id"]]
    response = client.patch(f"/crm/tag/tag_id/{tag['tag_id']}", json={"tag_hex_color": "FF0000"},
                            headers=admin_headers)
    assert response.get_json()["tag_hex_color"] == "FF0000" and response.get_json()["tag_text"] == "Cliente VIP"
    assert client.delete(f"/crm/tag/tag_id/{tag['tag_id']}", headers=admin_headers).status_code == 200
    assert client.get(f"/crm/tag/tag_id/{tag['tag_id']}", headers=admin_headers).status_code == 404
    log = activity_entries(app, cid, "tag")
    assert [e["action"] for e in log] == ["create", "create", "update", "delete"]
    assert log[2]["changes"] == {"tag_hex_color": {"before": "FFD700", "after": "FF0000"}}


def test_tag_validation(client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    response = client.put("/crm/tag/", json={"customer_id": cid, "tag_hex_color": "gold", "tag_link": "ftp://x",
                                             "tag_active_date": "2025-02-01", "tag_deactivate_date": "2025-01-01"},
                          headers=admin_headers)
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"tag_text", "tag_hex_color", "tag_link", "tag_deactivate_date"}
    assert client.get(f"/crm/tag/customer_id/{cid}", headers=admin_headers).get_json() == []
