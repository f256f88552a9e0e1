"""GET /crm/portal/usage_history: the service's CDRs per day and type (spec 07 §6.5 usage over time), own services
only."""
from datetime import timedelta

import pytest

from omnicrm.db import utcnow
from tests.services.helpers import create_service, make_customer


@pytest.fixture
def subscriber(app, client, admin_headers, make_user, ocs):
    customer_id, contact_id = make_customer(app, "Usage Co", with_contact=True)
    mine = create_service(client, admin_headers, customer_id, service_uuid="Mobile_usage_1")
    other_customer, _ = make_customer(app, "Other Co")
    other = create_service(client, admin_headers, other_customer, service_uuid="Mobile_usage_2")
    ocs.ok("ApierV2.SetAccount", {"Tenant": "cgrates.org", "Account": "Mobile_usage_1"})
    today = utcnow().replace(hour=9, minute=0, second=0, microsecond=0)
    for n, (tor, usage, when) in enumerate([("*data", str(2 * 1024 ** 3), today), ("*data", str(1024 ** 3), today),
                                           ("*voice", "150s", today - timedelta(days=1)),
                                           ("*sms", "3", today - timedelta(days=40))]):
        ocs.ok("CDRsV2.ProcessExternalCDR", {"Tenant": "cgrates.org", "Account": "Mobile_usage_1", "ToR": tor,
                                             "OriginID": f"o{n}", "Usage": usage, "RequestType": "*none",
                                             "AnswerTime": when.strftime("%Y-%m-%dT%H:%M:%SZ")})
    return {"user": make_user(roles=["Customer"], contact_id=contact_id), "mine": mine["service_id"],
            "other": other["service_id"]}


def test_usage_history_per_day(client, subscriber):
    body = client.get(f"/crm/portal/usage_history/service_id/{subscriber['mine']}?days=7",
                      headers=subscriber["user"])
    assert body.status_code == 200, body.get_json()
    data = body.get_json()
    assert len(data["days"]) == 7 and data["days"][-1] == utcnow().date().isoformat()
    assert data["series"]["DATA"][-1] == 3.0 and sum(data["series"]["DATA"]) == 3.0
    assert data["series"]["VOICE"][-2] == 2.5
    assert "SMS" not in data["series"]  # 40 days ago: outside the window
    assert data["units"] == {"DATA": "GB", "VOICE": "min"}


def test_usage_history_of_another_customer_is_404(client, subscriber):
    assert client.get(f"/crm/portal/usage_history/service_id/{subscriber['other']}",
                      headers=subscriber["user"]).status_code == 404
    assert client.get(f"/crm/portal/usage_history/service_id/{subscriber['mine']}?days=0",
                      headers=subscriber["user"]).status_code == 400
