"""CGRateSClient against the simulator: typed helpers, units, plans, errors, retries, concurrency."""
import sys
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from omnicrm.errors import DependencyError, DependencyUnavailable, NotFound
from omnicrm.integrations.cgrates import (
    CGRateSClient, OcsError, OcsNotFound, OcsUnavailable, attribute_profile_id, bytes_to_gb, filter_id,
    gb_to_bytes, human_value, make_action, make_timing, minutes_to_ns, ns_to_minutes, parse_time,
    seconds_to_ns, summarize_balances, to_money)

SERVICE = "Service_1a2b3c4d"


@pytest.fixture
def client(cgrates_client, cgrates_sim):
    cgrates_sim.control("Configure", DefaultTenant="other.org")  # the client must always send its tenant
    return CGRateSClient(cgrates_sim.endpoint, timeout=2.0, backoff=0.01, tenant="default_tenant")


def freeze(sim, moment):
    sim.control("SetTime", Time=moment)


def test_balances_of_each_type_read_back_in_human_units(client):
    client.set_account(SERVICE, allow_negative=False, disabled=False)
    client.add_balance(SERVICE, "*data", gb_to_bytes(Decimal("12.5")), balance_id="DATA", expiry="+720h", weight=10)
    client.add_balance(SERVICE, "*voice", minutes_to_ns(125), balance_id="VOICE", weight=10)
    client.add_balance(SERVICE, "*sms", 250, balance_id="SMS")
    client.add_balance(SERVICE, "*monetary", Decimal("0.10"), balance_id="CREDIT")
    client.add_balance(SERVICE, "*monetary", Decimal("0.20"), balance_id="CREDIT")
    summary = client.get_balance_summary(SERVICE)
    assert [(s.balance_type, s.total, s.unit) for s in summary.values()] == [
        ("*data", Decimal("12.5"), "GB"), ("*monetary", Decimal("0.3"), ""), ("*sms", 250, "SMS"),
        ("*voice", Decimal("125.00"), "min")]
    assert isinstance(summary["*monetary"].total, Decimal)  # exact money: 0.1 + 0.2 is 0.3
    data = summary["*data"].buckets[0]
    assert (data.id, data.raw_value, data.weight, data.expired) == ("DATA", 13421772800, 10, False)
    assert data.expires_at - datetime.now(timezone.utc) > timedelta(days=29)
    assert summary["*sms"].buckets[0].expires_at is None


def test_account_is_stored_under_the_client_tenant(client, cgrates_sim):
    client.set_account(SERVICE)
    assert client.get_account(SERVICE)["ID"] == f"default_tenant:{SERVICE}"
    assert cgrates_sim.rpc("ApierV2.GetAccount", {"Account": SERVICE})["error"] == "NOT_FOUND"


def test_expired_buckets_are_listed_but_not_counted(client, cgrates_sim):
    freeze(cgrates_sim, "2025-01-15T10:00:00Z")
    client.add_balance(SERVICE, "*data", gb_to_bytes(3), balance_id="TOPUP", expiry="+24h", weight=30)
    client.add_balance(SERVICE, "*data", gb_to_bytes(20), balance_id="MONTHLY",
                       expiry=datetime(2025, 2, 15, tzinfo=timezone.utc), weight=10)
    now = datetime(2025, 1, 20, tzinfo=timezone.utc)
    summary = client.get_balance_summary(SERVICE, now=now)["*data"]
    assert [(b.id, b.expired) for b in summary.buckets] == [("TOPUP", True), ("MONTHLY", False)]
    assert summary.total == 20
    assert summary.buckets[1].expires_at == datetime(2025, 2, 15, tzinfo=timezone.utc)


def test_set_debit_and_remove_balances(client):
    client.add_balance(SERVICE, "*data", 100, balance_id="A")
    client.debit_balance(SERVICE, "*data", 30, balance_id="A")
    client.set_balance(SERVICE, "*data", balance_id="B", value=5, weight=50)
    assert {b["ID"]: b["Value"] for b in client.get_balances(SERVICE)["*data"]} == {"A": 70, "B": 5}
    client.remove_balances(SERVICE, "*data", balance_id="A")
    assert [b["ID"] for b in client.get_balances(SERVICE)["*data"]] == ["B"]
    with pytest.raises(ValueError):
        client.add_balance(SERVICE, "*data", -1)
    with pytest.raises(ValueError):
        client.set_balance(SERVICE, "*data", value=1)


def test_disable_and_enable_account_keep_balances(client):
    client.add_balance(SERVICE, "*sms", 5, balance_id="SMS")
    client.disable_account(SERVICE)
    assert client.get_account(SERVICE)["Disabled"] is True
    client.enable_account(SERVICE)
    account = client.get_account(SERVICE)
    assert account["Disabled"] is False and account["BalanceMap"]["*sms"][0]["Value"] == 5


def test_monthly_action_plan_lifecycle(client, cgrates_sim):
    cgrates_sim.control("Configure", Timezone="+10:00")
    freeze(cgrates_sim, "2025-01-15T10:05:00+10:00")
    client.set_account(SERVICE)
    actions_id, plan_id = f"Action_AutoTopup_{SERVICE}_7", f"ActionPlan_Monthly_{SERVICE}_7"
    client.set_actions(actions_id, [make_action("*topup", balance_type="*data", units=gb_to_bytes(1),
                                                balance_id="RENEW", expiry="+720h", weight=20)])
    assert client.get_actions(actions_id)[0]["Units"] == str(gb_to_bytes(1))
    client.set_action_plan(plan_id, [make_timing(actions_id, "*monthly")])
    client.attach_action_plan(SERVICE, plan_id)
    [plan] = client.get_account_action_plans(SERVICE)
    assert (plan["ActionPlanId"], plan["NextExecTime"]) == (plan_id, "2025-02-15T10:05:00+10:00")
    [queued] = client.get_scheduled_actions(account=SERVICE)
    assert (queued["ActionPlanID"], queued["NextRunTime"], queued["Accounts"]) == (
        plan_id, "2025-02-15T10:05:00+10:00", 1)
    assert client.get_action_plan(plan_id)["AccountIDs"] == {f"default_tenant:{SERVICE}": True}
    cgrates_sim.control("AdvanceTime", To="2025-03-16T00:00:00+10:00")
    assert client.get_balances(SERVICE)["*data"][0]["Value"] == gb_to_bytes(2)
    client.remove_action_plan(plan_id)
    assert client.get_scheduled_actions() == []
    assert client.get_account_action_plans(SERVICE) == []
    with pytest.raises(OcsNotFound):
        client.get_action_plan(plan_id)


def test_asap_plan_runs_once_without_attaching(client):
    client.set_actions("SIGNUP", [make_action("*topup", balance_type="*monetary", units=5, balance_id="BONUS")])
    client.set_action_plan("ASAP_SIGNUP", [make_timing("SIGNUP", "*asap")])
    client.attach_action_plan(SERVICE, "ASAP_SIGNUP")
    assert client.get_balances(SERVICE)["*monetary"][0]["Value"] == 5
    assert client.get_account_action_plans(SERVICE) == []
    assert client.get_scheduled_actions() == []


def test_plan_listing_and_prefix_removal(client):
    client.set_actions("A", [make_action("*log")])
    plan_ids = [f"ServiceID_{SERVICE}_ProductID_1_MonthlyRenewal", f"ServiceID_{SERVICE}_ProductID_2_MonthlyRenewal",
                "ServiceID_other_ProductID_1_MonthlyRenewal"]
    for plan_id in plan_ids:
        client.set_action_plan(plan_id, [make_timing("A")])
    assert len(client.get_action_plans()) == 3
    removed = client.remove_action_plans_with_prefix(f"ServiceID_{SERVICE}_")
    assert len(removed) == 2
    assert client.get_action_plan_ids() == ["ServiceID_other_ProductID_1_MonthlyRenewal"]
    assert [e["ActionPlanID"] for e in client.get_scheduled_actions()] == client.get_action_plan_ids()


def test_execute_action_and_reset_triggers(client):
    client.set_actions("Action_Topup_Standard", [make_action("*topup", balance_type="*monetary", units=10,
                                                             balance_id="TOPUP")])
    client.execute_action(SERVICE, "Action_Topup_Standard")
    client.reset_action_triggers(SERVICE)
    assert client.get_balances(SERVICE)["*monetary"][0]["Value"] == 10
    with pytest.raises(OcsNotFound):
        client.execute_action(SERVICE, "Action_Standard_Charge")


def test_attribute_profile_round_trip(client):
    profile_id = attribute_profile_id(SERVICE)
    assert profile_id == f"ATTR_ACCOUNT_{SERVICE}"
    profile = {"ID": profile_id, "Contexts": ["*any"], "FilterIDs": [f"*string:~*req.Account:{SERVICE}"],
               "Attributes": [{"FilterIDs": [], "Path": "*req.PhoneNumber", "Type": "*constant",
                               "Value": [{"Rules": "61412345678"}]}], "Weight": 10}
    client.set_attribute_profile(profile)
    stored = client.get_attribute_profile(profile_id)
    assert stored["Tenant"] == "default_tenant"
    assert stored["Attributes"][0]["Value"] == [{"Rules": "61412345678"}]
    client.remove_attribute_profile(profile_id)
    with pytest.raises(OcsNotFound):
        client.get_attribute_profile(profile_id)
    with pytest.raises(OcsNotFound):
        client.remove_attribute_profile(profile_id)
    client.remove_attribute_profile(profile_id, missing_ok=True)


def test_filter_round_trip(client):
    rules = [{"Type": "*string", "Element": "~*req.Account", "Values": [SERVICE]}]
    client.set_filter({"ID": filter_id(SERVICE), "Rules": rules})
    assert client.get_filter(filter_id(SERVICE))["Rules"] == rules
    client.remove_filter(filter_id(SERVICE))
    client.remove_filter(filter_id(SERVICE), missing_ok=True)
    with pytest.raises(OcsError, match="Unsupported filter Type"):
        client.set_filter({"ID": "F", "Rules": [{"Type": "*nope", "Element": "x", "Values": ["1"]}]})


def test_sessions_and_cdrs(client, cgrates_sim):
    assert client.get_active_sessions(SERVICE) == []
    cgrates_sim.control("AddSession", Session={"Tenant": "default_tenant", "Account": SERVICE, "OriginID": "s1"})
    cgrates_sim.control("AddSession", Session={"Tenant": "default_tenant", "Account": "someone_else"})
    assert [s["OriginID"] for s in client.get_active_sessions(SERVICE)] == ["s1"]
    assert client.get_cdrs(SERVICE) == []
    client.add_balance(SERVICE, "*voice", seconds_to_ns(300), balance_id="VOICE")
    client.process_external_cdr({"OriginID": "c1", "ToR": "*voice", "RequestType": "*pseudoprepaid",
                                 "Account": SERVICE, "Usage": "150s"})
    [cdr] = client.get_cdrs(SERVICE, tors=["*voice"])
    assert (cdr["Usage"], cdr["Cost"]) == (seconds_to_ns(150), 0)
    assert client.get_balance_summary(SERVICE)["*voice"].total == Decimal("2.50")


# errors ---------------------------------------------------------------------------------------
def test_ocs_down_is_503_for_reads_and_writes(ocs_down_endpoint):
    down = CGRateSClient(ocs_down_endpoint, timeout=0.5, retries=1, backoff=0.01)
    for call in (lambda: down.get_account(SERVICE), lambda: down.add_balance(SERVICE, "*data", 1)):
        with pytest.raises(OcsUnavailable) as caught:
            call()
        assert isinstance(caught.value, DependencyUnavailable) and caught.value.status_code == 503
        assert caught.value.message == f"OCS (CGRateS) unreachable at {ocs_down_endpoint}"


def test_not_found_is_404(client):
    with pytest.raises(OcsNotFound) as caught:
        client.get_account("nobody")
    assert isinstance(caught.value, NotFound) and caught.value.status_code == 404


def test_other_cgrates_errors_are_502_with_the_cgrates_text(client):
    with pytest.raises(OcsError) as caught:
        client.set_action_plan("P", [make_timing("no_such_actions")])
    assert isinstance(caught.value, DependencyError) and caught.value.status_code == 502
    assert "BROKEN_REFERENCE:no_such_actions" in caught.value.message
    assert caught.value.ocs_error == "BROKEN_REFERENCE:no_such_actions"


def test_reads_are_retried_on_dropped_connections(client, cgrates_sim):
    client.set_account(SERVICE)
    cgrates_sim.control("FailNext", Method="APIerSv2.GetAccount", Drop=True)
    assert client.get_account(SERVICE)["ID"].endswith(SERVICE)
    assert cgrates_sim.control("GetRequests").count("APIerSv2.GetAccount") == 2


def test_writes_are_never_retried(client, cgrates_sim):
    cgrates_sim.control("FailNext", Method="APIerSv1.AddBalance", Drop=True)
    with pytest.raises(OcsUnavailable):
        client.add_balance(SERVICE, "*data", 1, balance_id="D")
    assert cgrates_sim.control("GetRequests").count("APIerSv1.AddBalance") == 1
    with pytest.raises(OcsNotFound):
        client.get_account(SERVICE)


def test_a_slow_ocs_times_out_as_unavailable(cgrates_sim):
    cgrates_sim.reset()
    slow = CGRateSClient(cgrates_sim.endpoint, timeout=0.2, retries=0)
    cgrates_sim.control("FailNext", Method="APIerSv1.Ping", Delay=0.6)
    with pytest.raises(OcsUnavailable):
        slow.ping()


def test_concurrent_add_balance_ends_with_the_exact_sum(client):
    def add_many():
        for _ in range(20):
            client.add_balance(SERVICE, "*monetary", Decimal("0.01"), balance_id="CREDIT")

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so a lost update would show
    try:
        threads = [threading.Thread(target=add_many) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    assert client.get_balance_summary(SERVICE)["*monetary"].total == Decimal("2")


class _Stub(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        status, body = self.server.reply
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("status, body, message", [
    (401, b"Not authorized", "answered HTTP 401"),
    (200, b"", "empty reply"),
    (200, b"<html>", "not JSON"),
    (200, b'{"id": 999, "result": "OK", "error": null}', "malformed JSON-RPC reply"),
])
def test_unusable_replies_are_502(status, body, message):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    server.reply = (status, body)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with pytest.raises(OcsError, match=message):
            CGRateSClient(f"127.0.0.1:{server.server_port}", timeout=1).ping()
    finally:
        server.shutdown()
        server.server_close()


# pure helpers ---------------------------------------------------------------------------------
def test_unit_conversions():
    assert bytes_to_gb(13421772800) == Decimal("12.5")
    assert ns_to_minutes(7500000000000) == Decimal("125.00")
    assert ns_to_minutes(seconds_to_ns(1)) == Decimal("0.02")
    assert minutes_to_ns(125) == 7500000000000 and gb_to_bytes(10) == 10737418240
    assert to_money(25.5) == Decimal("25.5") and to_money(Decimal("1550")) == Decimal("1550")
    assert human_value("*sms", 45) == 45 and human_value("*monetary", Decimal("15.50")) == Decimal("15.50")


def test_parse_time_handles_go_forms():
    assert parse_time("0001-01-01T00:00:00Z") is None
    moment = parse_time("2025-02-14T10:00:05.118274117+10:00")
    assert moment == datetime(2025, 2, 14, 0, 0, 5, 118274, tzinfo=timezone.utc)


def test_summary_orders_buckets_by_consumption_and_skips_disabled_in_totals():
    balance_map = {"*data": [
        {"Uuid": "1", "ID": "MONTHLY", "Value": 10, "Weight": 10, "ExpirationDate": "2025-01-25T23:59:59Z"},
        {"Uuid": "2", "ID": "TOPUP", "Value": 3, "Weight": 30, "ExpirationDate": "2025-01-18T00:00:00Z"},
        {"Uuid": "3", "ID": "OFF", "Value": 5, "Weight": 20, "Disabled": True,
         "ExpirationDate": "0001-01-01T00:00:00Z"}]}
    summary = summarize_balances({"BalanceMap": balance_map}, now=datetime(2025, 1, 10, tzinfo=timezone.utc))
    assert [b.id for b in summary["*data"].buckets] == ["TOPUP", "OFF", "MONTHLY"]
    assert summary["*data"].raw_total == 13
    assert summarize_balances(None) == {}


def test_make_action_and_timing_shapes():
    assert make_action("*topup", balance_type="*data", units=Decimal("5"), balance_id="D", balance_weight=20,
                       destination_ids=["AU", "NZ"]) == {
        "Identifier": "*topup", "BalanceType": "*data", "BalanceId": "D", "Units": 5.0, "ExpiryTime": "",
        "Weight": 0, "ExtraParameters": "", "DestinationIds": "AU;NZ", "BalanceWeight": 20}
    assert make_timing("A") == {"ActionsId": "A", "Time": "*monthly", "Weight": 10}
