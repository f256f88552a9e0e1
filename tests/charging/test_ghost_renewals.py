"""Issue #13 finding 1: every path that removes ActionPlans or OCS accounts ends with SchedulerSv1.Reload (CONTRACT.md
§8.9), so two months later nothing fires and no account is re-created. Runs the reference plays for real."""
from tests.fixtures.cgrates import OcsClock
from tests.provisioning.reference_helpers import failure_details, reference  # noqa: F401 - fixture
from tests.provisioning.test_reference_plays import sim_order


def _nothing_happens_for_two_months(ref, clock, accounts):
    fired = clock.advance(months=2)
    assert fired == [], fired
    assert ref.accounts() == accounts
    assert [p["URL"] for p in clock.posts()] == []


def test_auto_renew_off_rollback_and_deprovision_leave_nothing_firing(reference):
    ref = reference
    clock = OcsClock(ref.sim)
    clock.start("2027-01-31T10:00:00Z")
    job = ref.order("Mobile-SIM", **sim_order(ref))
    assert job["provisioning_status"] == 0, failure_details(job)
    [service] = ref.services()
    uuid, sid = service["service_uuid"], service["service_id"]

    # task_auto_renew with auto_renew off removes the plan
    assert ref.order("extra-10gb-data", service_id=sid, auto_renew="true")["provisioning_status"] == 0
    assert ref.action_plans(uuid) != [] and list(clock.next_runs())
    off = ref.order("extra-10gb-data", service_id=sid, auto_renew="false")
    assert off["provisioning_status"] == 0, failure_details(off)
    _nothing_happens_for_two_months(ref, clock, [uuid])

    # task_rollback after the plan was attached and the scheduler reloaded
    bad = ref.order("extra-10gb-data", service_id=sid, auto_renew="true",
                    fail_at_task="Attach the ActionPlan to the account")
    assert bad["provisioning_status"] == 2, failure_details(bad)
    _nothing_happens_for_two_months(ref, clock, [uuid])

    # task_deprovision_service with a live auto-renewal
    assert ref.order("extra-10gb-data", service_id=sid, auto_renew="true")["provisioning_status"] == 0
    gone = ref.order("Mobile-SIM", service_id=sid, action="deprovision")
    assert gone["provisioning_status"] == 0, failure_details(gone)
    _nothing_happens_for_two_months(ref, clock, [])
    assert clock.next_runs() == {}
