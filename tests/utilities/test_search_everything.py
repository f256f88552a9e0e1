"""GET /crm/utilities/search_everything (spec 05 §9) and what it finds beyond the spec's LIKE query."""
from sqlalchemy import func, select

from omnicrm import db
from omnicrm.utilities.models import SearchIndex
from omnicrm.utilities.search_index import rebuild
from tests.customers.helpers import add_contact, add_site, create_customer, customer_user


def search(client, headers, term, **params):
    response = client.get("/crm/utilities/search_everything", query_string={"search": term, **params},
                          headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def found(body):
    return {(r["type"], r["id"]) for r in body["data"]}


def test_response_shape_and_all_five_entity_types(client, admin_headers, add_service, add_inventory):
    cid = create_customer(client, admin_headers, customer_name="John Smith")["customer_id"]
    contact = add_contact(client, admin_headers, cid)
    site = add_site(client, admin_headers, cid, site_name="Smith Farm")
    service_id = add_service(cid, "Mobile - +44 7700 900123", "Service_5a1b2c3d")
    item_id = add_inventory("SMITH-ROUTER-0001", customer_id=cid, item="CPE")
    body = search(client, admin_headers, "Smith")
    assert body["pagination"] == {"current_page": 1, "per_page": 10, "total_pages": 1, "total_items": 4}
    assert body["data"][0] == {"id": cid, "name": "John Smith", "customer_id": cid, "type": "customer"}
    assert body["data"][1] == {"id": contact["contact_id"], "name": "John Smith", "customer_id": cid,
                               "type": "contact"}
    assert found(body) == {("customer", cid), ("contact", contact["contact_id"]), ("site", site["site_id"]),
                           ("inventory", item_id)}
    assert found(search(client, admin_headers, "mobile")) == {("service", service_id)}


def test_case_insensitive_and_word_prefix(client, admin_headers):
    cid = create_customer(client, admin_headers, customer_name="Carla Smithson")["customer_id"]
    create_customer(client, admin_headers, customer_name="José Álvarez")
    assert found(search(client, admin_headers, "smith")) == found(search(client, admin_headers, "SMITH")) == \
        {("customer", cid)}
    assert len(search(client, admin_headers, "jose")["data"]) == 1  # accents folded
    assert len(search(client, admin_headers, "ALVAR")["data"]) == 1
    assert search(client, admin_headers, "carla smi")["data"][0]["id"] == cid  # every word must match
    assert search(client, admin_headers, "carla jones")["data"] == []


def test_closest_word_first_then_oldest(client, admin_headers):
    smithson = create_customer(client, admin_headers, customer_name="Ann Smithson")["customer_id"]
    bob_smith = create_customer(client, admin_headers, customer_name="Bob Smith")["customer_id"]
    cy_smith = create_customer(client, admin_headers, customer_name="Cy Smith")["customer_id"]
    assert [r["id"] for r in search(client, admin_headers, "smith")["data"]] == [bob_smith, cy_smith, smithson]


def test_several_words_match_in_any_order_and_any_field(client, admin_headers):
    for n in range(6):
        create_customer(client, admin_headers, customer_name=f"John Common{n}")
    rare = create_customer(client, admin_headers, customer_name="John Rarewood")["customer_id"]
    contact = add_contact(client, admin_headers, rare, contact_firstname="John", contact_lastname="Rarewood",
                          contact_email="jr@example.com")
    expected = [{"type": "customer", "id": rare}, {"type": "contact", "id": contact["contact_id"]}]
    for typed in ("john rarew", "RAREW john", "jo rarewood"):
        body = search(client, admin_headers, typed)
        assert [{"type": r["type"], "id": r["id"]} for r in body["data"]] == expected, typed
        assert body["pagination"]["total_items"] == 2
    assert search(client, admin_headers, "john rarewood smith")["data"] == []
    assert search(client, admin_headers, "jr@example.com john")["data"][0]["id"] == contact["contact_id"]


def test_phone_in_national_or_international_form(client, admin_headers, add_service):
    cid = create_customer(client, admin_headers)["customer_id"]
    contact = add_contact(client, admin_headers, cid, contact_phone="+44 7700 900123")
    service_id = add_service(cid, "Mobile - +44 7700 900123", "Service_0badf00d")
    for typed in ("07700900123", "07700 900123", "+447700900123", "00447700900123", "+44 7700 900123",
                  "7700900123", "900123"):
        assert found(search(client, admin_headers, typed)) == {("contact", contact["contact_id"]),
                                                               ("service", service_id)}, typed
    assert search(client, admin_headers, "07700900999")["data"] == []


def test_any_part_of_an_email(client, admin_headers):
    cid = create_customer(client, admin_headers, customer_name="Acme")["customer_id"]
    contact = add_contact(client, admin_headers, cid, contact_firstname="Jo", contact_lastname="Bloggs",
                          contact_email="john.smith_jr@example.co.uk", contact_phone=None)
    expected = {("contact", contact["contact_id"])}
    for typed in ("john", "john.smith", "smith_jr", "smith_jr@example", "example.co.uk", "jr@EXAMPLE",
                  "john.smith_jr@example.co.uk"):
        assert found(search(client, admin_headers, typed)) == expected, typed


def test_service_uuid_and_iccid_msisdn_fragments(client, admin_headers, add_service, add_inventory):
    cid = create_customer(client, admin_headers)["customer_id"]
    service_id = add_service(cid, "Internet", "123e4567-e89b-12d3-a456-426614174000")
    sim = add_inventory("8944110068123456789", "234150123456789", customer_id=cid)
    number = add_inventory("447700900777", item="Phone Number")
    assert found(search(client, admin_headers, "e89b-12d3")) == {("service", service_id)}
    assert found(search(client, admin_headers, "426614174000")) == {("service", service_id)}
    assert found(search(client, admin_headers, "123E4567")) == {("service", service_id)}
    assert found(search(client, admin_headers, "1234567")) == {("inventory", sim)}  # ICCID middle
    assert found(search(client, admin_headers, "6789")) >= {("inventory", sim)}  # ICCID end
    assert found(search(client, admin_headers, "150123")) == {("inventory", sim)}  # IMSI in itemtext2
    msisdn = search(client, admin_headers, "07700900777")  # unassigned number stock, national form
    assert msisdn["data"] == [{"id": number, "name": "447700900777", "customer_id": None, "type": "inventory"}]


def test_not_searched_fields_stay_unsearched(client, admin_headers, add_inventory):
    cid = create_customer(client, admin_headers, customer_notes="zebra crossing", customer_name="Plain")["customer_id"]
    add_site(client, admin_headers, cid, site_name="Depot", address_line_1="Zebra Road")
    add_inventory("ABC123456", customer_id=cid, itemtext3="walrus")
    assert search(client, admin_headers, "zebra")["data"] == []
    assert search(client, admin_headers, "walrus")["data"] == []


def test_closed_customers_excluded_unless_asked(client, admin_headers, add_service):
    cid = create_customer(client, admin_headers, customer_name="Zed Closed")["customer_id"]
    contact = add_contact(client, admin_headers, cid, contact_firstname="Zed")
    service_id = add_service(cid, "Zed line", "Service_77777777")
    client.patch(f"/crm/customer/customer_id/{cid}", json={"customer_status": "Closed"}, headers=admin_headers)
    assert search(client, admin_headers, "zed")["data"] == []
    body = search(client, admin_headers, "zed", search_closed_records="true")
    assert found(body) == {("customer", cid), ("contact", contact["contact_id"]), ("service", service_id)}
    client.patch(f"/crm/customer/customer_id/{cid}", json={"customer_status": "Open"}, headers=admin_headers)
    assert len(search(client, admin_headers, "zed")["data"]) == 3


def test_pagination_47_results(client, admin_headers):
    cid = create_customer(client, admin_headers, customer_name="Holder")["customer_id"]
    from omnicrm.customers.models import Contact
    with client.application.app_context():
        db.session.add_all([Contact(customer_id=cid, contact_firstname="Pat", contact_lastname=f"Page{i:02d}")
                            for i in range(47)])
        db.session.commit()
    body = search(client, admin_headers, "pat", page=2)
    assert body["pagination"] == {"current_page": 2, "per_page": 10, "total_pages": 5, "total_items": 47}
    assert [r["name"] for r in body["data"]] == [f"Pat Page{i:02d}" for i in range(10, 20)]
    assert len(search(client, admin_headers, "pat", page=5)["data"]) == 7


def test_index_follows_updates_and_deletes(client, admin_headers):
    cid = create_customer(client, admin_headers, customer_name="Old Name")["customer_id"]
    contact = add_contact(client, admin_headers, cid, contact_firstname="Quentin")
    client.patch(f"/crm/customer/customer_id/{cid}", json={"customer_name": "New Name"}, headers=admin_headers)
    assert search(client, admin_headers, "old")["data"] == []
    assert found(search(client, admin_headers, "new")) == {("customer", cid)}
    client.delete(f"/crm/contact/contact_id/{contact['contact_id']}", headers=admin_headers)
    assert search(client, admin_headers, "quentin")["data"] == []


def test_rebuild_recreates_the_same_index(app, client, admin_headers, add_service, add_inventory):
    cid = create_customer(client, admin_headers, customer_name="Rebuilt Ltd")["customer_id"]
    add_contact(client, admin_headers, cid)
    add_service(cid, "Mobile - +44 7700 900123", "Service_12345678")
    add_inventory("8944110068123456789", customer_id=cid)
    with app.app_context():
        before = set(db.session.execute(select(SearchIndex.token, SearchIndex.entity_type, SearchIndex.entity_id,
                                               SearchIndex.is_open)).all())
        rebuild()
        after = set(db.session.execute(select(SearchIndex.token, SearchIndex.entity_type, SearchIndex.entity_id,
                                              SearchIndex.is_open)).all())
        assert before == after and db.session.scalar(select(func.count()).select_from(SearchIndex)) > 20


def test_customer_user_searches_only_its_own_records(app, client, admin_headers, make_user):
    mine = create_customer(client, admin_headers, customer_name="Mine Smith")["customer_id"]
    create_customer(client, admin_headers, customer_name="Other Smith")
    headers = customer_user(app, client, make_user, mine)
    assert {r["customer_id"] for r in search(client, admin_headers, "smith")["data"]} != {mine}
    assert {r["customer_id"] for r in search(client, headers, "smith")["data"]} == {mine}
    smithson = add_contact(client, admin_headers, mine, contact_firstname="Ann", contact_lastname="Smithson",
                           contact_email="ann@example.com")["contact_id"]
    smith = add_contact(client, admin_headers, mine, contact_firstname="Ann", contact_lastname="Smith",
                        contact_email="ann.s@example.com")["contact_id"]
    body = search(client, headers, "smith")  # same order rules as staff searches, limited to one customer
    assert [(r["type"], r["id"]) for r in body["data"]] == [("customer", mine), ("contact", smith),
                                                            ("contact", smithson)]
    assert {r["id"] for r in search(client, headers, "ann smi")["data"]} == {smith, smithson}
    assert search(client, headers, "ann other")["data"] == []


def test_bad_search_parameters(client, admin_headers, make_user):
    response = client.get("/crm/utilities/search_everything?page=0&per_page=1000", headers=admin_headers)
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"search", "page", "per_page"}
    assert client.get("/crm/utilities/search_everything?search=x").status_code == 401
    nobody = make_user(permissions=["view_product"])
    assert client.get("/crm/utilities/search_everything?search=x", headers=nobody).status_code == 403
