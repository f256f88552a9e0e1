"""Fixtures for the reference playbooks (Provisioners/plays): the demo catalogue and stock, a customer with a
contact, the live API server the playbooks call back and the CGRateS simulator as the OCS."""
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from omnicrm import db
from omnicrm.billing.models import Transaction
from omnicrm.customers.models import Contact, Customer, Site
from omnicrm.inventory import seed as inventory_seed
from omnicrm.inventory.models import FREE_STATES, Inventory
from omnicrm.products import seed as product_seed
from omnicrm.products.models import Product
from omnicrm.provisioning.models import Provision
from omnicrm.services.models import Service
from tests.provisioning.conftest import wait_for_job

PLAYS = Path(__file__).resolve().parents[2] / "Provisioners" / "plays"
TENANT = "mnc380.mcc313.3gppnetwork.org"


class Reference:
    """One test's world: order products over HTTP, then read rows, inventory and OCS state."""

    def __init__(self, app, client, headers, sim, customer_id):
        self.app, self.client, self.headers, self.sim = app, client, headers, sim
        self.customer_id = customer_id

    def product(self, slug):
        with self.app.app_context():
            return db.session.scalar(select(Product.product_id).where(Product.product_slug == slug))

    def free_items(self, template, count=1):
        with self.app.app_context():
            return list(db.session.scalars(select(Inventory.inventory_id).where(
                Inventory.item == template, Inventory.item_state.in_(FREE_STATES), Inventory.customer_id.is_(None))
                .order_by(Inventory.inventory_id).limit(count)))

    def order(self, slug, headers=None, wait=True, **variables):
        body = {"product_id": self.product(slug), "customer_id": self.customer_id, **variables}
        response = self.client.put("/crm/provision/", json=body, headers=headers or self.headers)
        assert response.status_code == 200, response.get_json()
        if not wait:
            return response.get_json()
        return wait_for_job(self.client, self.headers, response.get_json()["provision_id"], timeout=120)

    def job(self, provision_id):
        return wait_for_job(self.client, self.headers, provision_id, timeout=120)

    def services(self):
        with self.app.app_context():
            return [{"service_id": s.service_id, "service_uuid": s.service_uuid, "service_status": s.service_status,
                     "service_type": s.service_type, "bundled_parent": s.bundled_parent,
                     "service_name": s.service_name, "retail_cost": s.retail_cost}
                    for s in db.session.scalars(select(Service).where(Service.customer_id == self.customer_id)
                                                .order_by(Service.service_id))]

    def charges(self):
        """Transactions that still charge the customer (not void): [(title, retail_cost, service_id)]."""
        with self.app.app_context():
            return [(t.title, t.retail_cost, t.service_id) for t in db.session.scalars(
                select(Transaction).where(Transaction.customer_id == self.customer_id,
                                          Transaction.void.is_(False)).order_by(Transaction.transaction_id))]

    def item(self, inventory_id):
        with self.app.app_context():
            item = db.session.get(Inventory, inventory_id)
            return {"customer_id": item.customer_id, "service_id": item.service_id, "item_state": item.item_state,
                    "config_content": item.config_content, "itemtext3": item.itemtext3,
                    "management_url": item.management_url}

    def held_items(self):
        with self.app.app_context():
            return db.session.scalar(select(func.count()).select_from(Inventory).where(
                Inventory.customer_id == self.customer_id))

    def accounts(self):
        reply = self.sim.rpc("ApierV2.GetAccounts", {"Tenant": TENANT})
        return sorted(a["ID"].split(":", 1)[1] for a in (reply["result"] or []))

    def account(self, uuid):
        reply = self.sim.rpc("ApierV2.GetAccount", {"Tenant": TENANT, "Account": uuid})
        return None if reply["error"] else reply["result"]

    def balances(self, uuid):
        """{balance type: {balance ID: Value}} of an account."""
        account = self.account(uuid)
        return {kind: {b["ID"]: b["Value"] for b in buckets}
                for kind, buckets in (account or {}).get("BalanceMap", {}).items()}

    def action_plans(self, uuid):
        reply = self.sim.rpc("ApierV1.GetAccountActionPlan", {"Tenant": TENANT, "Account": uuid})
        return sorted({p["ActionPlanId"] for p in reply["result"] or []})


def failed_events(job):
    return [e["event_name"] for e in job["provisioning_result_json"] if e["provisioning_status"] == 2]


def failure_details(job):
    """The failed tasks with the start of their (redacted) results: what an assertion message should show."""
    return [(e["event_name"], str(e.get("provisioning_result_json"))[:800])
            for e in job["provisioning_result_json"] if e["provisioning_status"] == 2]


def known_secrets(app):
    """Every secret value a job could know: the clear secret fields and management passwords of all inventory
    (SIM Ki/OPc, CPE Wi-Fi PSK and the admin password a play generated and stored)."""
    from omnicrm.provisioning.redaction import inventory_secret_values
    with app.app_context():
        ids = list(db.session.scalars(select(Inventory.inventory_id)))
        return {s for s in inventory_secret_values(ids) if len(s) >= 6}


def stored_texts(app):
    """Everything provisioning wrote where people read it: task events, the jobs' variables, the outbox."""
    from omnicrm.communications.models import Communication
    from omnicrm.provisioning.models import ProvisionEvent
    with app.app_context():
        texts = [f"{e.event_name} {e.provisioning_result_json}" for e in db.session.scalars(select(ProvisionEvent))]
        texts += [p.provisioning_json_vars or "" for p in db.session.scalars(select(Provision))]
        texts += [json.dumps([c.subject, c.text_part, c.variables], default=str)
                  for c in db.session.scalars(select(Communication))]
    return "\n".join(texts)


def assert_no_secret_stored(app, log_text):
    """Issue 12 finding 1: no secret value in any stored event, variables, e-mail or log line."""
    texts = stored_texts(app) + "\n" + log_text
    leaked = sorted(s for s in known_secrets(app) if s in texts)
    assert not leaked, f"secret values stored in clear: {leaked}"


@pytest.fixture
def reference(app, client, admin_headers, live_server, cgrates_sim, caplog):
    """The reference plays against the simulator, with the demo catalogue and stock and a customer. Every test
    using it ends with a scan of all stored events, mails and logs for every known secret value."""
    crm = app.config["CRM"]
    saved = dict(crm["provisioning"]), dict(crm["ocs"])
    crm["provisioning"].update(playbook_dir=str(PLAYS), timeout_seconds=120, workers=2,
                               failure_list=["ops@example.com"])
    crm["ocs"].update(cgrates=cgrates_sim.endpoint, ocsTenant=TENANT)
    cgrates_sim.reset()
    with app.app_context():
        inventory_seed.seed_demo()
        product_seed.seed_demo()
        customer = Customer(customer_name="Jane Home", customer_account_type="Individual")
        db.session.add(customer)
        db.session.flush()
        db.session.add(Contact(customer_id=customer.customer_id, contact_firstname="Jane", contact_lastname="Home",
                               contact_email="jane@example.com"))
        db.session.add(Site(customer_id=customer.customer_id, site_name="Home", address_line_1="1 Main St",
                            city="Sydney", state="NSW", latitude=-33.86, longitude=151.2))
        db.session.commit()
        customer_id = customer.customer_id
    caplog.set_level("DEBUG")
    yield Reference(app, client, admin_headers, cgrates_sim, customer_id)
    assert_no_secret_stored(app, caplog.text)
    crm["provisioning"].clear()
    crm["provisioning"].update(saved[0])
    crm["ocs"].clear()
    crm["ocs"].update(saved[1])


def job_variables(app, provision_id):
    with app.app_context():
        return json.loads(db.session.get(Provision, provision_id).provisioning_json_vars)
