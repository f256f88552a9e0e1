"""Contacts and sites over HTTP: validation, E.164 phones, Plus Codes, geocoding through the Google Maps double."""
from sqlalchemy import select

from omnicrm import db
from omnicrm.customers.models import Contact, Site
from omnicrm.integrations.plus_codes import encode, is_valid
from tests.customers.helpers import activity_entries, add_contact, add_site, create_customer


def test_plus_code_encoding_matches_known_codes():
    assert encode(51.5074, -0.1278) == "9C3XGV4C+XV"  # spec 03 acceptance 13
    assert encode(-33.8688, 151.2093) == "4RRH46J5+FP"  # Sydney
    assert encode(47.0000625, 8.0000625) == "8FVC2222+22"
    assert encode(20.3700625, 2.7821875) == "7FG49QCJ+2V"
    assert encode(-41.2730625, 174.7859375) == "4VCPPQGP+Q9"
    assert encode(90, 1) == "CFX3X2X2+X2"  # the pole belongs to the last row
    assert encode(10, 190) == encode(10, -170)  # longitudes wrap
    assert is_valid("9C3XGV4C+XV") and not is_valid("9C3XGV4C+X") and not is_valid("ZZ3XGV4C+XV")


def test_contacts_many_per_customer_with_types_and_e164(app, client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    first = add_contact(client, admin_headers, cid, contact_phone="07700 900123", contact_types="Billing,Technical")
    second = add_contact(client, admin_headers, cid, contact_firstname="Ann", contact_email="ann@example.com",
                         contact_types=["billing"])
    assert first["contact_phone"] == "07700 900123" and first["contact_phone_e164"] == "+447700900123"
    assert first["contact_types"] == "Billing,Technical" and second["contact_types"] == "Billing"
    listed = client.get(f"/crm/contact/customer_id/{cid}", headers=admin_headers).get_json()
    assert [c["contact_id"] for c in listed] == [first["contact_id"], second["contact_id"]]
    assert [e["action"] for e in activity_entries(app, cid, "contact")] == ["create", "create"]


def test_contact_validation(app, client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    response = client.put("/crm/contact/", json={"customer_id": cid, "contact_email": "john@", "contact_phone": "12",
                                                 "contact_types": "Boss"}, headers=admin_headers)
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"contact_firstname", "contact_email", "contact_phone",
                                                  "contact_types"}
    response = client.put("/crm/contact/", json={"customer_id": 4242, "contact_firstname": "A"},
                          headers=admin_headers)
    assert response.status_code == 400 and "customer_id" in response.get_json()["errors"]
    with app.app_context():
        assert db.session.scalars(select(Contact)).all() == []


def test_contact_update_delete_and_logged_changes(app, client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    contact = add_contact(client, admin_headers, cid)
    path = f"/crm/contact/contact_id/{contact['contact_id']}"
    response = client.patch(path, json={"contact_phone": "+61 412 345 678"}, headers=admin_headers)
    assert response.status_code == 200 and response.get_json()["contact_phone_e164"] == "+61412345678"
    entry = activity_entries(app, cid, "contact")[-1]
    assert entry["action"] == "update"
    assert entry["changes"]["contact_phone"] == {"before": "+44 7700 900123", "after": "+61 412 345 678"}
    assert client.delete(path, headers=admin_headers).get_json() == {"result": "success"}
    assert client.get(path, headers=admin_headers).status_code == 404
    deleted = activity_entries(app, cid, "contact")[-1]
    assert deleted["action"] == "delete" and deleted["changes"]["contact_firstname"]["before"] == "John"


def test_contact_or_site_cannot_move_to_another_customer(app, client, admin_headers):
    mine = create_customer(client, admin_headers)["customer_id"]
    other = create_customer(client, admin_headers, customer_name="Other")["customer_id"]
    contact = add_contact(client, admin_headers, mine)
    site = add_site(client, admin_headers, mine)
    for path in (f"/crm/contact/contact_id/{contact['contact_id']}", f"/crm/site/site_id/{site['site_id']}"):
        response = client.patch(path, json={"customer_id": other, "contact_firstname": "X"}
                                if "contact" in path else {"customer_id": other, "site_name": "X"},
                                headers=admin_headers)
        assert response.status_code == 400 and "customer_id" in response.get_json()["errors"]
    with app.app_context():
        assert db.session.get(Contact, contact["contact_id"]).customer_id == mine
        assert db.session.get(Site, site["site_id"]).site_name == "Head Office"


def test_site_plus_code_computed_and_recomputed(app, client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    site = add_site(client, admin_headers, cid, plus_code="9C3XGPHC+3Q", address_notes="Turn left at the red barn")
    assert site["plus_code"] == "9C3XGV4C+XV"  # computed, not the spec's illustrative value
    assert site["latitude"] == 51.5074 and site["address_notes"] == "Turn left at the red barn"
    response = client.patch(f"/crm/site/site_id/{site['site_id']}",
                            json={"latitude": -33.8688, "longitude": 151.2093}, headers=admin_headers)
    assert response.status_code == 200 and response.get_json()["plus_code"] == "4RRH46J5+FP"
    sites = client.get(f"/crm/site/customer_id/{cid}", headers=admin_headers).get_json()
    assert isinstance(sites, list)
    assert {k: sites[0][k] for k in ("address_line_1", "city", "state", "latitude", "longitude")} == {
        "address_line_1": "123 Main Street", "city": "London", "state": "Greater London", "latitude": -33.8688,
        "longitude": 151.2093}
    entry = activity_entries(app, cid, "site")[-1]
    assert entry["changes"]["plus_code"] == {"before": "9C3XGV4C+XV", "after": "4RRH46J5+FP"}


def test_site_validation_without_google_key(app, client, admin_headers):
    cid = create_customer(client, admin_headers)["customer_id"]
    response = client.put("/crm/site/", json={"customer_id": cid, "site_name": "X", "address_line_1": "1 Road"},
                          headers=admin_headers)
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert "latitude" in errors and "no Google Maps key" in errors["latitude"]
    response = client.put("/crm/site/", json={"customer_id": cid, "site_name": "X", "latitude": 91,
                                              "longitude": "east"}, headers=admin_headers)
    assert set(response.get_json()["errors"]) == {"latitude", "longitude"}
    with app.app_context():
        assert db.session.scalars(select(Site)).all() == []
    assert client.get("/crm/site/geocode?address=1+Road", headers=admin_headers).status_code == 503


def test_site_address_is_geocoded_through_google_maps(app, client, admin_headers, google_maps):
    google_maps.add_place("10 Downing Street, London", 51.5033635, -0.1276248, "ChIJRxzRQcUEdkgRGVaKyzmkgvg",
                          {"street_number": "10", "route": "Downing Street", "postal_town": "London",
                           "administrative_area_level_1": "England", "postal_code": "SW1A 2AA",
                           "country": "United Kingdom"})
    cid = create_customer(client, admin_headers)["customer_id"]
    response = client.put("/crm/site/", json={"customer_id": cid, "address_line_1": "10 Downing Street",
                                              "city": "London"}, headers=admin_headers)
    assert response.status_code == 201, response.get_json()
    site = response.get_json()
    assert site["latitude"] == 51.5033635 and site["google_maps_place_id"] == "ChIJRxzRQcUEdkgRGVaKyzmkgvg"
    assert site["site_name"] == "10 Downing Street" and site["zip_code"] == "SW1A 2AA"
    assert site["plus_code"] == encode(51.5033635, -0.1276248)
    assert google_maps.requests[-1]["query"]["key"] == "test-google-key"
    # Method 2: the dragged pin is reverse-geocoded for the form
    form = client.get("/crm/site/geocode?latitude=51.5034&longitude=-0.1276", headers=admin_headers).get_json()
    assert form["address_line_1"] == "10 Downing Street" and form["plus_code"] == encode(51.5034, -0.1276)
    assert "latlng" in google_maps.requests[-1]["query"]
    # an address Google does not know: a clear 400, nothing saved
    response = client.put("/crm/site/", json={"customer_id": cid, "address_line_1": "Nowhere Lane 99"},
                          headers=admin_headers)
    assert response.status_code == 400 and "address_line_1" in response.get_json()["errors"]


def test_geocoding_failures_are_502_or_503_and_write_nothing(app, client, admin_headers, google_maps):
    google_maps.add_place("1 Road", 1.0, 2.0, "P1", {"route": "Road"})
    cid = create_customer(client, admin_headers)["customer_id"]
    google_maps.fail_with("REQUEST_DENIED")
    response = client.put("/crm/site/", json={"customer_id": cid, "address_line_1": "1 Road"},
                          headers=admin_headers)
    assert response.status_code == 502 and "REQUEST_DENIED" in response.get_json()["message"] or \
        "refused" in response.get_json()["message"]
    google_maps.fail_with("http500")
    response = client.put("/crm/site/", json={"customer_id": cid, "address_line_1": "1 Road"},
                          headers=admin_headers)
    assert response.status_code == 503
    # coordinates given: no call to Google, the site saves even while Google fails
    calls = len(google_maps.requests)
    add_site(client, admin_headers, cid)
    assert len(google_maps.requests) == calls
    with app.app_context():
        assert len(db.session.scalars(select(Site)).all()) == 1
