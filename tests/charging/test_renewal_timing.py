"""A `*monthly_estimated` auto-renewal (anchored on the 31st: renews on the month's last day when the month is
shorter) keeps that timing when suspension takes it off CGRateS and reactivation puts it back; re-created as a plain
HH:MM:SS on MonthDays 31 it would skip every shorter month (follow-up of issue #13.2)."""
from tests.charging.test_ocs_lifecycle import _sms, _status, make_renewing_service


def _dates(fired):
    return [f["Time"][:10] for f in fired]


def test_monthly_estimated_renewal_keeps_its_month_end_fallback_through_suspension(app, client, admin_headers, ocs,
                                                                                   ocs_clock):
    ocs_clock.start("2027-01-31T10:00:00Z")
    made = make_renewing_service(app, client, admin_headers, ocs, "Mobile_SIM_est01", timing="*monthly_estimated")
    assert _dates(ocs_clock.advance(days=1)) == []
    _status(client, admin_headers, made["service_id"], "Suspended")
    assert _dates(ocs_clock.advance(days=40)) == []  # Feb 28 falls while suspended: not renewed
    _status(client, admin_headers, made["service_id"], "Active")  # 2027-03-14
    listed = client.get(f"/crm/oam/action_plans/service_id/{made['service_id']}", headers=admin_headers)
    assert [(p["ActionPlanId"], p["NextExecTime"][:10]) for p in listed.get_json()["data"]] == \
        [(made["plan_id"], "2027-03-31")]  # one auto-renewal, as before the suspension
    assert _dates(ocs_clock.advance(months=4)) == ["2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30"]
    assert _dates(ocs_clock.advance(months=8)) == ["2027-07-31", "2027-08-31", "2027-09-30", "2027-10-31",
                                                   "2027-11-30", "2027-12-31", "2028-01-31", "2028-02-29"]
    assert _sms(ocs, made["uuid"]) == 1200


def test_monthly_estimated_on_the_30th_survives_two_suspensions(app, client, admin_headers, ocs, ocs_clock):
    ocs_clock.start("2027-01-30T09:00:00Z")
    made = make_renewing_service(app, client, admin_headers, ocs, "Mobile_SIM_est02", timing="*monthly_estimated")
    for _ in range(2):
        _status(client, admin_headers, made["service_id"], "Suspended")
        _status(client, admin_headers, made["service_id"], "Active")
    assert _dates(ocs_clock.advance(months=3)) == ["2027-02-28", "2027-03-30", "2027-04-30"]
