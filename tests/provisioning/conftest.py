"""Provisioning fixtures: test playbooks, a small catalogue, the live API server playbooks call back, and a
guard that no job is left running into the next test."""
import json
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from omnicrm import db
from omnicrm.customers.models import Customer
from omnicrm.inventory.models import Inventory, InventoryTemplate
from omnicrm.products.models import Product
from omnicrm.provisioning.models import STATUS_RUNNING, Provision
from tests.fixtures.live_server import live_server  # noqa: F401 - fixture

PLAYS = Path(__file__).parent / "plays"


@pytest.fixture
def provisioning_config(app, live_server):  # noqa: F811
    """Test playbooks, a short timeout, a failure list; restored afterwards."""
    section = app.config["CRM"]["provisioning"]
    saved = dict(section)
    section.update(playbook_dir=str(PLAYS), timeout_seconds=60, failure_list=["ops@example.com", "noc@example.com"],
                   workers=2)
    yield section
    section.clear()
    section.update(saved)


@pytest.fixture(autouse=True)
def no_job_left_running(request):
    """Jobs run in background threads: wait for them so the next test's wipe never races a running job."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    deadline = time.monotonic() + 90
    with app.app_context():
        while time.monotonic() < deadline:
            db.session.rollback()  # fresh snapshot each round (MariaDB repeatable read)
            running = db.session.scalar(select(func.count()).select_from(Provision).where(
                Provision.provisioning_status == STATUS_RUNNING, Provision.job_id.like("local:%")))
            if not running:
                break
            time.sleep(0.2)
        db.session.remove()


def wait_for_job(client, headers, provision_id, timeout=60):
    """Poll the monitoring endpoint like the UI does, until the job ends; returns the final body."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/crm/provision/provision_id/{provision_id}", headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        if body["provisioning_status"] != STATUS_RUNNING:
            return body
        assert time.monotonic() < deadline, f"job {provision_id} still running: {body}"
        time.sleep(0.2)


@pytest.fixture
def catalogue(app):
    """A residential customer, a business customer, a SIM product needing a "SIM Card", two free SIMs."""
    with app.app_context():
        home = Customer(customer_name="Jane Home", customer_account_type="Individual")
        business = Customer(customer_name="Acme Business", customer_account_type="Business")
        template = InventoryTemplate(item="SIM Card", allow_customer_dropdown=True)
        numbers = InventoryTemplate(item="Mobile Number")
        db.session.add_all([home, business, template, numbers])
        db.session.flush()
        sims = [Inventory(item="SIM Card", inventory_template_id=template.inventory_template_id,
                          item_state="New", itemtext1=f"894400000000000{i}") for i in (1, 2)]
        number = Inventory(item="Mobile Number", inventory_template_id=numbers.inventory_template_id,
                           item_state="New", itemtext1="61400000001")
        db.session.add_all([*sims, number])
        product = Product(product_name="Mobile SIM Test", product_slug="mobile-sim-test", category="standalone",
                          service_type="mobile", provisioning_play="test_ok", residential=True, business=False,
                          provisioning_json_vars=json.dumps({"monthly_cost": 50, "data_gb": 100, "overridable": [
                              "monthly_cost", "custom_param", "admin_password", "token_file"]}),
                          inventory_items_list="['SIM Card']", enabled=True, customer_can_purchase=True)
        failing = Product(product_name="Failing Product", product_slug="failing", category="standalone",
                          provisioning_play="test_fail", residential=True, business=True, enabled=True,
                          provisioning_json_vars='{"overridable": ["api_password"]}')
        db.session.add_all([product, failing])
        db.session.commit()
        return {"home": home.customer_id, "business": business.customer_id, "product": product.product_id,
                "failing": failing.product_id, "sims": [s.inventory_id for s in sims],
                "number": number.inventory_id}


def set_play(app, product_id, play):
    with app.app_context():
        db.session.get(Product, product_id).provisioning_play = play
        db.session.commit()
