"""The time-travel harness (tests/fixtures/cgrates.py `ocs_clock`): the simulator's clock moves forward with its
scheduler running, monthly plans fire with cron semantics across 28-31 day months, *http_post callbacks go out at the
moment each timing fires, and a removed plan keeps firing until SchedulerSv1.Reload, as CONTRACT.md §8.9 says."""
import pytest

from tests.ocs.test_cgrates_sim import callback_server  # noqa: F401 - fixture

ACC = {"Tenant": "cgrates.org", "Account": "tt1"}


@pytest.fixture
def clock(cgrates_sim, ocs_clock):
    cgrates_sim.reset()
    ocs_clock.start("2027-01-31T10:00:00Z")
    return ocs_clock


def _monthly_plan(sim, plan_id, url=None, time="*monthly"):
    actions = [{"Identifier": "*topup", "BalanceType": "*sms", "BalanceId": "S", "Units": 1, "Weight": 20}]
    if url:
        actions.append({"Identifier": "*http_post", "ExtraParameters": url, "Weight": 10})
    sim.ok("ApierV1.SetActions", {"ActionsId": f"A_{plan_id}", "Overwrite": True, "Actions": actions})
    sim.ok("ApierV1.SetActionPlan", {"Id": plan_id, "Overwrite": True, "ReloadScheduler": True,
                                     "ActionPlan": [{"ActionsId": f"A_{plan_id}", "Time": time, "Weight": 10}]})
    sim.ok("ApierV2.SetAccount", {**ACC, "ActionPlanIDs": [plan_id], "ReloadScheduler": True})


def _sms(sim):
    reply = sim.rpc("ApierV2.GetAccount", ACC)
    return None if reply["error"] else sum(b["Value"] for b in reply["result"]["BalanceMap"]["*sms"])


def test_monthly_plan_made_on_the_31st_fires_only_in_31_day_months(cgrates_sim, clock):
    _monthly_plan(cgrates_sim, "P31")
    fired = clock.advance(months=4)  # to May 31: Feb (28), Mar (31), Apr (30), May (31)
    assert [f["Time"][:10] for f in fired] == ["2027-03-31", "2027-05-31"]
    assert _sms(cgrates_sim) == 2
    assert clock.now().isoformat().startswith("2027-05-31T10:00:00")


def test_hours_and_days_advance_and_monthly_estimated_clamps_to_month_end(cgrates_sim, clock):
    _monthly_plan(cgrates_sim, "PEST", time="*monthly_estimated")
    assert clock.advance(hours=23) == []
    fired = clock.advance(days=60)
    assert [f["Time"][:10] for f in fired] == ["2027-02-28", "2027-03-31"]


def test_http_post_reaches_the_callback_at_the_moment_each_timing_fires(cgrates_sim, clock, callback_server):
    url = f"http://127.0.0.1:{callback_server.server_port}/renew"
    cgrates_sim.control("SetTime", Time="2027-01-15T08:00:00Z")
    _monthly_plan(cgrates_sim, "PCB", url)
    clock.advance(months=2)
    assert [body["ID"] for _type, body in callback_server.bodies] == ["cgrates.org:tt1", "cgrates.org:tt1"]
    posts = clock.posts()  # each delivered with the clock at its own firing, not at the end of the trip
    assert [(p["Status"], p["Time"][:19]) for p in posts] == [(200, "2027-02-15T08:00:00"),
                                                              (200, "2027-03-15T08:00:00")]


def test_removed_plan_and_account_keep_firing_until_the_scheduler_reloads(cgrates_sim, clock):
    """The pitfall every removal path must close (CONTRACT.md §8.9): without a reload the account comes back."""
    _monthly_plan(cgrates_sim, "PGHOST")
    cgrates_sim.ok("ApierV1.RemoveActionPlan", {"ID": "PGHOST"})
    cgrates_sim.ok("ApierV2.RemoveAccount", {**ACC, "ReloadScheduler": True})  # the flag is ignored
    assert len(clock.advance(months=2)) == 1 and _sms(cgrates_sim) == 1  # March 31 re-created the account
    cgrates_sim.ok("ApierV2.RemoveAccount", ACC)
    cgrates_sim.ok("SchedulerSv1.Reload", {})
    assert clock.advance(months=2) == [] and _sms(cgrates_sim) is None
