"""Issue 12 finding 2: a job's token carries the Provisioning role only, for the job's customer, and dies with the
job (before, it acted as the first admin: every customer, every secret, user administration)."""
from sqlalchemy import select

from omnicrm import db
from omnicrm.auth.identity import first_admin_user
from omnicrm.auth.permissions import DEFAULT_ROLES
from omnicrm.provisioning import job_tokens
from omnicrm.provisioning.models import STATUS_RUNNING, Provision
from omnicrm.services.models import Service


def job_token(app, catalogue, inventory_ids):
    with app.app_context():
        job = Provision(customer_id=catalogue["home"], product_id=catalogue["product"], provisioning_play="test_ok",
                        provisioning_status=STATUS_RUNNING)
        db.session.add_all([job, Service(customer_id=catalogue["business"], service_name="Other", service_type="mobile",
                                         service_uuid="Other_1")])
        db.session.commit()
        token, _claims = job_tokens.mint(job, first_admin_user(), inventory_ids, 60)
        return {"Authorization": f"Bearer {token}"}


def test_job_token_reaches_only_its_customer_and_role(app, client, admin_headers, catalogue):
    headers = job_token(app, catalogue, [catalogue["sims"][0]])
    assert client.get(f"/crm/customer/customer_id/{catalogue['home']}", headers=headers).status_code == 200
    assert client.get(f"/crm/customer/customer_id/{catalogue['business']}", headers=headers).status_code == 404
    assert client.get(f"/crm/inventory/inventory_id/{catalogue['sims'][0]}", headers=headers).status_code == 200
    assert client.get(f"/crm/inventory/inventory_id/{catalogue['sims'][1]}", headers=headers).status_code == 404
    grab = client.patch(f"/crm/inventory/inventory_id/{catalogue['sims'][1]}", headers=headers,
                        json={"customer_id": catalogue["home"], "item_state": "Assigned"})
    assert grab.status_code == 404
    elsewhere = client.put("/crm/service/", headers=headers, json={
        "customer_id": catalogue["business"], "service_name": "x", "service_uuid": "X_1", "service_type": "mobile"})
    assert elsewhere.status_code == 404
    with app.app_context():
        other = db.session.scalar(select(Service.service_id).where(Service.service_uuid == "Other_1"))
    assert client.get(f"/crm/service/service_id/{other}", headers=headers).status_code == 404
    listed = client.get("/crm/service/", headers=headers).get_json()["data"]
    assert all(s["customer_id"] == catalogue["home"] for s in listed)
    for admin_only in (client.get("/crm/auth/users", headers=headers),
                       client.post("/crm/product/", headers=headers, json={"product_name": "Free"})):
        assert admin_only.status_code == 403
    me = client.get("/crm/auth/me", headers=headers).get_json()
    assert sorted(me["permissions"]) == sorted(DEFAULT_ROLES["Provisioning"][1])


def test_job_token_orders_as_a_system_not_as_staff(app, client, catalogue):
    headers = job_token(app, catalogue, [])
    refused = client.put("/crm/provision/", headers=headers, json={
        "product_id": catalogue["failing"], "customer_id": catalogue["home"], "nickname": "x"})
    assert refused.status_code == 400 and "API keys" in refused.get_json()["errors"]["nickname"]
    other = client.put("/crm/provision/", headers=headers, json={
        "product_id": catalogue["failing"], "customer_id": catalogue["business"]})
    assert other.status_code == 404


def test_job_token_keeps_its_service_items_after_releasing_them(app, client, catalogue):
    """A deprovisioning play releases an item, then updates it again (e.g. its state): still its job's item."""
    from omnicrm.inventory.models import Inventory
    from omnicrm.provisioning.runner import mint_job_token
    with app.app_context():
        service = Service(customer_id=catalogue["home"], service_name="Mobile", service_type="mobile",
                          service_uuid="Held_1")
        db.session.add(service)
        db.session.flush()
        sim = db.session.get(Inventory, catalogue["sims"][0])
        sim.customer_id, sim.service_id, sim.item_state = catalogue["home"], service.service_id, "Assigned"
        job = Provision(customer_id=catalogue["home"], product_id=catalogue["product"], service_id=service.service_id,
                        provisioning_play="test_ok", provisioning_status=STATUS_RUNNING,
                        initiating_user=first_admin_user().id)
        db.session.add(job)
        db.session.commit()
        token, _claims = mint_job_token(job, {"action": "deprovision"}, 60)
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/crm/inventory/inventory_id/{catalogue['sims'][0]}"
    released = client.patch(url, headers=headers, json={"customer_id": None, "service_id": None,
                                                        "item_state": "In Stock"})
    assert released.status_code == 200, released.get_json()
    assert client.patch(url, headers=headers, json={"inventory_notes": "released"}).status_code == 200
    assert client.get(f"/crm/inventory/inventory_id/{catalogue['sims'][1]}", headers=headers).status_code == 404
