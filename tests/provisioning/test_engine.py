"""The provisioning engine with real ansible-runner runs: events, redaction, tokens, failures, monitoring."""
import json

import pytest
from sqlalchemy import select

from omnicrm import db
from omnicrm.activity.models import ActivityLog
from omnicrm.communications.models import Communication
from omnicrm.provisioning.models import Provision, ProvisionEvent
from tests.provisioning.conftest import set_play, wait_for_job

STAFF = ["create_provision", "view_provision"]


def order(client, headers, **body):
    return client.put("/crm/provision/", json=body, headers=headers)


def test_order_runs_playbook_task_by_task(app, client, make_user, catalogue, provisioning_config, tmp_path):
    staff = make_user(permissions=STAFF)
    token_file = tmp_path / "token.txt"
    response = order(client, staff, product_id=catalogue["product"], customer_id=catalogue["home"],
                     **{"SIM Card": catalogue["sims"][0]}, monthly_cost=45, custom_param="value",
                     admin_password="hunter2-secret", token_file=str(token_file))
    assert response.status_code == 200, response.get_json()
    created = response.get_json()
    assert created["provisioning_status"] == 1 and created["message"] == "Provisioning job created"

    job = wait_for_job(client, staff, created["provision_id"])
    assert job["provisioning_status"] == 0, job
    assert job["customer_name"] == "Jane Home"
    assert job["playbook_description"] == "Test provisioning play"
    assert job["task_count"] == 6
    assert job["initiating_user"] == staff.user_id
    events = job["provisioning_result_json"]
    assert [e["event_name"] for e in events] == [
        "Call the CRM API with the job token", "Keep the token to check it is revoked after the job",
        "Show the merged variables", "Echo secrets the way careless playbooks do", "Read SIM secrets",
        "Optional notification that fails"]
    assert [e["provisioning_status"] for e in events] == [0, 0, 0, 0, 0, 3]
    assert [e["event_number"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert all(e["timestamp"].endswith("Z") for e in events)

    merged = json.loads(events[2]["provisioning_result_json"])["result"]["msg"]
    assert merged == (f"user={staff.user_id} cost=45 gb=100 custom=value sim={catalogue['sims'][0]} "
                      f"customer={catalogue['home']} initiator={staff.user_id}")

    # Redaction: nothing stored holds the token, the password override or the SIM keys.
    token = token_file.read_text()
    with app.app_context():
        stored = " ".join(e.provisioning_result_json for e in db.session.scalars(
            select(ProvisionEvent).where(ProvisionEvent.provision_id == created["provision_id"])))
    for secret in (token, "hunter2-secret", "00112233445566778899AABBCCDDEEFF", "FFEEDDCCBBAA99887766554433221100"):
        assert secret not in stored
        assert secret not in json.dumps(job)
    assert "password=*** header=***" in stored and "8944000000000000001" in stored

    # The job token worked during the run (first task) and is revoked now.
    assert client.get("/crm/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401

    with app.app_context():
        actions = [a.action for a in db.session.scalars(select(ActivityLog).where(
            ActivityLog.entity_type == "provision", ActivityLog.customer_id == catalogue["home"]))]
    assert actions == ["create", "provisioning_succeeded"]
    assert client.post(f"/crm/provision/provision_id/{created['provision_id']}/retry",
                       headers=staff).status_code == 409


def test_failing_play_ends_failed_emails_and_can_be_retried(app, client, admin_headers, catalogue,
                                                            provisioning_config):
    response = order(client, admin_headers, product_id=catalogue["failing"], customer_id=catalogue["home"])
    assert response.status_code == 200, response.get_json()
    job = wait_for_job(client, admin_headers, response.get_json()["provision_id"])
    assert job["provisioning_status"] == 2
    statuses = {e["event_name"]: e["provisioning_status"] for e in job["provisioning_result_json"]}
    assert statuses == {"First step works": 0, "Late step fails": 2, "Roll back": 0, "Fail the provision": 2}
    failed = json.loads(next(e for e in job["provisioning_result_json"]
                             if e["event_name"] == "Late step fails")["provisioning_result_json"])
    assert failed["result"]["msg"] == f"OCS refused the account for customer {catalogue['home']}"

    with app.app_context():
        mails = list(db.session.scalars(select(Communication)))
    assert len(mails) == 1
    assert mails[0].to_email == "ops@example.com, noc@example.com"
    assert mails[0].status == "recorded"
    assert f"job {job['provision_id']}" in mails[0].subject
    assert "[RED    FAILED] 2. Late step fails" in mails[0].text_part
    assert "[GREEN  ok] 1. First step works" in mails[0].text_part
    assert "OCS refused the account" in mails[0].text_part

    retry = client.post(f"/crm/provision/provision_id/{job['provision_id']}/retry", headers=admin_headers)
    assert retry.status_code == 200, retry.get_json()
    again = wait_for_job(client, admin_headers, retry.get_json()["provision_id"])
    assert again["retry_of"] == job["provision_id"] and again["provisioning_status"] == 2


@pytest.mark.parametrize("play,cause", [
    ("test_broken", "YAML syntax error"),
    ("test_undefined", "variable used at play level is not defined"),
    ("test_missing_file", "playbook file does not exist"),
])
def test_playbook_that_cannot_start_gives_fatal_event(app, client, admin_headers, catalogue, provisioning_config,
                                                      play, cause):
    set_play(app, catalogue["failing"], play)
    response = order(client, admin_headers, product_id=catalogue["failing"], customer_id=catalogue["home"],
                     api_password="do-not-store-me")
    job = wait_for_job(client, admin_headers, response.get_json()["provision_id"])
    assert job["provisioning_status"] == 2
    (event,) = job["provisioning_result_json"]
    assert event["event_name"] == "Playbook could not run" and event["provisioning_status"] == 2
    fatal = json.loads(event["provisioning_result_json"])
    assert fatal["fatal_error"] is True and fatal["exit_code"] not in (0, None)
    assert fatal["stdout"]
    assert "stderr" in fatal
    assert any(cause in c for c in fatal["likely_causes"]), fatal["likely_causes"]
    assert fatal["variables"]["customer_id"] == catalogue["home"]
    assert fatal["variables"]["api_password"] == "***" and fatal["variables"]["access_token"] == "***"
    assert "do-not-store-me" not in event["provisioning_result_json"]


def test_stuck_playbook_is_stopped_by_the_timeout(app, client, admin_headers, catalogue, provisioning_config):
    provisioning_config["timeout_seconds"] = 3
    set_play(app, catalogue["failing"], "test_slow")
    response = order(client, admin_headers, product_id=catalogue["failing"], customer_id=catalogue["home"])
    job = wait_for_job(client, admin_headers, response.get_json()["provision_id"], timeout=30)
    assert job["provisioning_status"] == 2
    events = job["provisioning_result_json"]
    assert [(e["event_name"], e["provisioning_status"]) for e in events] == [
        ("Started", 0), ("Hang on a stuck system", 2), ("Provisioning timed out", 2)]
    assert "3 seconds" in json.loads(events[-1]["provisioning_result_json"])["message"]
