"""Assignment and release, the item-state rules, the order-screen selector, and the guarantee that one item is
never assigned twice, even by concurrent requests (spec 06 §4.4-4.8, spec 02 §4.8)."""
import threading

import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.errors import Conflict
from omnicrm.inventory import service as inventory
from omnicrm.inventory.models import Inventory
from tests.products.helpers import customer_login, make_customer, make_service


def _patch(client, headers, item_id, **body):
    return client.patch(f"/crm/inventory/inventory_id/{item_id}", headers=headers, json=body)


def _selector(client, headers, item="SIM Card"):
    response = client.get(f"/crm/inventory/available?item={item}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_assign_then_release_like_the_playbooks(app, client, admin_headers, add_sim):
    item = add_sim()
    customer = make_customer(app)
    service = make_service(app, customer)
    response = _patch(client, admin_headers, item["inventory_id"], service_id=str(service),
                      customer_id=str(customer), item_state="Assigned")  # Ansible sends strings
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["customer_id"], body["service_id"], body["item_state"]) == (customer, service, "Assigned")
    assert body["sold_date"]
    assert _selector(client, admin_headers)["data"] == []
    other = make_service(app, make_customer(app, "Someone else"))
    response = _patch(client, admin_headers, item["inventory_id"], service_id=other)
    assert response.status_code == 409 and "release it first" in response.get_json()["message"]
    response = _patch(client, admin_headers, item["inventory_id"], service_id=None, customer_id=None,
                      item_state="In Stock")
    assert response.status_code == 200 and response.get_json()["customer_id"] is None
    assert [o["inventory_id"] for o in _selector(client, admin_headers)["data"]] == [item["inventory_id"]]
    _patch(client, admin_headers, item["inventory_id"], service_id=other)
    assert _patch(client, admin_headers, item["inventory_id"], service_id=None, customer_id=None,
                  item_state="Used").status_code == 200
    assert _selector(client, admin_headers)["message"] == "No inventory available"


def test_state_rules(app, client, admin_headers, add_sim):
    customer = make_customer(app)
    damaged = add_sim(item_state="Damaged")
    response = _patch(client, admin_headers, damaged["inventory_id"], customer_id=customer)
    assert response.status_code == 409 and "Damaged" in response.get_json()["message"]
    item = add_sim()
    assert _patch(client, admin_headers, item["inventory_id"], item_state="Assigned").status_code == 400
    assert _patch(client, admin_headers, item["inventory_id"], customer_id=customer,
                  item_state="In Stock").status_code == 400
    assert _patch(client, admin_headers, item["inventory_id"], item_state="Deactivated").status_code == 400
    foreign = make_service(app, make_customer(app, "Other"))
    response = _patch(client, admin_headers, item["inventory_id"], customer_id=customer, service_id=foreign)
    assert response.status_code == 400 and "belongs to customer" in response.get_json()["errors"]["service_id"]
    # Customer first, service later (play_psim_only assigns the customer, then the service exists).
    assert _patch(client, admin_headers, item["inventory_id"], customer_id=customer).status_code == 200
    own_service = make_service(app, customer)
    response = _patch(client, admin_headers, item["inventory_id"], service_id=own_service)
    assert response.status_code == 200 and response.get_json()["customer_id"] == customer
    for state in ("In Use", "Lost"):
        assert _patch(client, admin_headers, item["inventory_id"], item_state=state).status_code == 200
    with app.app_context():
        assert db.session.get(Inventory, item["inventory_id"]).item_state == "Lost"
    assert client.delete(f"/crm/inventory/inventory_id/{item['inventory_id']}",
                         headers=admin_headers).status_code == 409


def test_selector_lists_only_free_items_of_the_exact_type(app, client, admin_headers, make_user, add_sim,
                                                          sim_template):
    new, in_stock = add_sim(item_location="Store 1"), add_sim(item_state="In Stock")
    add_sim(item_state="Damaged")
    add_sim(item_state="In Transit")
    taken = add_sim()
    _patch(client, admin_headers, taken["inventory_id"], customer_id=make_customer(app))
    body = _selector(client, admin_headers)
    assert [o["inventory_id"] for o in body["data"]] == [new["inventory_id"], in_stock["inventory_id"]]
    assert body["data"][0]["label"] == (f"#{new['inventory_id']} - ICCID: {new['itemtext1']} @ Store 1 (New)")
    assert body["data"][0]["itemtext3"] == "***"
    assert client.get("/crm/inventory/available?item=Sim Card", headers=admin_headers).status_code == 404
    located = client.get("/crm/inventory/available?item=SIM Card&item_location=Store 1",
                         headers=admin_headers).get_json()
    assert [o["inventory_id"] for o in located["data"]] == [new["inventory_id"]]
    me = customer_login(app, make_user, make_customer(app, "Self"))
    assert _selector(client, me)["data"] == []  # the SIM template is not open to customers
    client.patch(f"/crm/inventory/template/inventory_template_id/{sim_template}", headers=admin_headers,
                 json={"allow_customer_dropdown": True, "allow_staff_dropdown": False})
    assert len(_selector(client, me)["data"]) == 2
    assert _selector(client, admin_headers)["data"] == []


def test_engine_functions_assign_release_and_refuse_a_stale_assignment(app, client, admin_headers, add_sim):
    first, second = add_sim(), add_sim()
    customer = make_customer(app)
    service = make_service(app, customer)
    with app.app_context():
        assert [i.inventory_id for i in inventory.free_items("SIM Card")] == [first["inventory_id"],
                                                                              second["inventory_id"]]
        assert inventory.free_items("sim card") == []
        stale = inventory.get_item(first["inventory_id"])  # read while still free...
        taken = {}

        def take():  # ...then a request on another connection takes it
            taken["status"] = app.test_client().patch(f"/crm/inventory/inventory_id/{first['inventory_id']}",
                                                      headers=admin_headers, json={"customer_id": customer}).status_code

        thread = threading.Thread(target=take)
        thread.start()
        thread.join(60)
        assert taken["status"] == 200
        with pytest.raises(Conflict):
            inventory.update_item(stale, {"customer_id": customer, "service_id": service})
        db.session.rollback()
        item = inventory.assign_item(second["inventory_id"], customer, service)
        db.session.commit()
        assert (item.customer_id, item.service_id, item.item_state) == (customer, service, "Assigned")
        with pytest.raises(Conflict):
            inventory.assign_item(second["inventory_id"], customer)
        db.session.rollback()
        inventory.release_item(second["inventory_id"], item_state="Used")
        db.session.commit()
        row = db.session.get(Inventory, second["inventory_id"])
        assert (row.customer_id, row.service_id, row.item_state) == (None, None, "Used")


def test_concurrent_requests_never_assign_one_item_twice(app, client, admin_headers, add_sim):
    """Eight requests race for each item, each for a different service: exactly one wins, the others get 409."""
    customer = make_customer(app)
    services = [make_service(app, customer) for _ in range(8)]
    items = [add_sim()["inventory_id"] for _ in range(3)]
    for item_id in items:
        barrier = threading.Barrier(len(services))
        statuses = {}

        def race(service_id, barrier=barrier, item_id=item_id, statuses=statuses):
            local = app.test_client()
            barrier.wait()
            response = local.patch(f"/crm/inventory/inventory_id/{item_id}", headers=admin_headers,
                                   json={"service_id": service_id, "item_state": "Assigned"})
            statuses[service_id] = response.status_code

        threads = [threading.Thread(target=race, args=(s,)) for s in services]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        winners = [s for s, status in statuses.items() if status == 200]
        assert len(statuses) == len(services)
        assert len(winners) == 1, statuses
        assert sorted(statuses.values()) == [200] + [409] * (len(services) - 1)
        with app.app_context():
            row = db.session.scalars(select(Inventory).where(Inventory.inventory_id == item_id)).one()
            assert row.service_id == winners[0] and row.item_state == "Assigned"
