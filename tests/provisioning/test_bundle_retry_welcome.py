"""The Seniors bundle (play_seniors_package) end to end, retrying a failed chain part on the same bundle, and the
welcome e-mail endpoint the playbooks call (POST /crm/provision/welcome_email/customer_id/<id>)."""
import json
import time

from sqlalchemy import select

from omnicrm import db
from omnicrm.communications.models import Communication
from omnicrm.customers.models import Contact
from tests.provisioning.reference_helpers import failed_events, failure_details, reference  # noqa: F401 - fixture

WELCOME = "api_crmCommunicationCustomerWelcome"


def welcome_emails(app, customer_id):
    with app.app_context():
        return [(c.template_key, c.to_email, c.status, json.loads(c.variables)) for c in db.session.scalars(
            select(Communication).where(Communication.customer_id == customer_id,
                                        Communication.template_key == WELCOME)
            .order_by(Communication.communication_id))]


def chain_parts(ref, root_id, count, timeout=180):
    """The parts of a chain once `count` of them exist and none is running."""
    deadline = time.monotonic() + timeout
    while True:
        parts = ref.client.get("/crm/provision/", headers=ref.headers, query_string={
            "filters": json.dumps({"parent_provision_id": [root_id]}), "sort": "provision_id"}).get_json()["data"]
        if len(parts) >= count and all(p["provisioning_status"] != 1 for p in parts):
            return parts
        assert time.monotonic() < deadline, parts
        time.sleep(0.5)


def test_welcome_email_endpoint_records_the_template_email(reference, make_user):
    ref, app = reference, reference.app
    url = f"/crm/provision/welcome_email/customer_id/{ref.customer_id}"
    body = {"package_name": "Seniors Bundle", "monthly_cost": "30", "setup_cost": "0", "provision_id": 5}
    viewer = make_user(permissions=["view_provision"])
    assert ref.client.post(url, json=body, headers=viewer).status_code == 403
    missing = ref.client.post(url, json={"monthly_cost": "30"}, headers=ref.headers)
    assert missing.status_code == 400 and "package_name" in missing.get_json()["errors"]
    assert ref.client.post("/crm/provision/welcome_email/customer_id/999999", json=body,
                           headers=ref.headers).status_code == 404
    assert welcome_emails(app, ref.customer_id) == []

    sent = ref.client.post(url, json=body, headers=make_user(permissions=["create_provision"]))
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["sent"] is True and sent.get_json()["status"] == "recorded"
    [(key, to, status, variables)] = welcome_emails(app, ref.customer_id)
    assert (key, to, status) == (WELCOME, "jane@example.com", "recorded")
    assert variables == {"customer_name": "Jane Home", "email": "jane@example.com",  # spec 06 §13.3
                         "company_name": "YourCompany Support", "login_url": variables["login_url"],
                         "support_url": "mailto:support@yourcompany.com"}
    assert variables["login_url"].endswith("/login")

    with app.app_context():
        db.session.query(Contact).filter_by(customer_id=ref.customer_id).update({"contact_email": None})
        db.session.commit()
    nobody = ref.client.post(url, json=body, headers=ref.headers)
    assert nobody.status_code == 200 and nobody.get_json()["sent"] is False
    assert len(welcome_emails(app, ref.customer_id)) == 1


def test_seniors_bundle_with_a_failed_part_rolls_back_as_a_unit(reference):
    """One bundle run covers three things: the Seniors play succeeds and chains IPTV then VoIP; the VoIP part
    fails (its service type is not configured) and rolls itself back, then the whole chain is undone (issue #12.4):
    the internet and IPTV services are deprovisioned and removed, their charges voided, the modem back in stock.
    Retrying the failed part is refused: the bundle is ordered again."""
    ref, app = reference, reference.app
    types = app.config["CRM"]["service_types"]
    saved = list(types)
    modem = ref.free_items("Modem Router")[0]
    types.remove("voip")
    try:
        root = ref.order("Bundle-Seniors", **{"Modem Router": modem})
        assert root["provisioning_status"] == 0, failure_details(root)
        iptv_job, voip_job = chain_parts(ref, root["provision_id"], 2)
    finally:
        types[:] = saved
    assert (iptv_job["provisioning_play"], iptv_job["provisioning_status"]) == ("play_bundle_part_iptv", 0)
    assert (voip_job["provisioning_play"], voip_job["provisioning_status"]) == ("play_bundle_part_voip", 2)
    assert "Add Voice service via API" in failed_events(ref.job(voip_job["provision_id"]))
    deadline = time.monotonic() + 30
    while ref.services() and time.monotonic() < deadline:  # the rollback runs as the failed part ends
        time.sleep(0.2)
    assert ref.services() == [] and ref.accounts() == [] and ref.charges() == []
    assert ref.item(modem)["item_state"] == "In Stock" and ref.item(modem)["service_id"] is None
    [(key, to, _, variables)] = welcome_emails(app, ref.customer_id)  # sent by the first job; e-mail cannot be undone
    assert (key, to, variables["customer_name"]) == (WELCOME, "jane@example.com", "Jane Home")

    retried = ref.client.post(f"/crm/provision/provision_id/{voip_job['provision_id']}/retry", headers=ref.headers)
    assert retried.status_code == 409 and "rolled back" in retried.get_json()["message"]
