"""The CGRateS simulator over real HTTP with raw JSON-RPC: every example of the contract
(cgrates_examples.json is a verbatim copy of /work/shared/cgrates/examples.json) and the
CONTRACT.md §10.2 checklist."""
import json
import re
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

EXAMPLES = json.loads(Path(__file__).with_name("cgrates_examples.json").read_text())["examples"]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ACC = {"Tenant": "t1", "Account": "acc1"}


@pytest.fixture
def sim(cgrates_sim):
    cgrates_sim.reset()
    return cgrates_sim


def parse_go_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def assert_shape(actual, expected, path="$"):
    """Same keys in the same (Go) order, same values; UUIDs and sub-millisecond timestamp
    digits, which the examples call illustrative, only need the right form."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), path
        assert list(actual) == list(expected), f"{path}: keys {list(actual)} != {list(expected)}"
        for key in expected:
            assert_shape(actual[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: {actual!r}"
        for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_shape(a, e, f"{path}[{index}]")
    elif isinstance(expected, str) and UUID.match(expected):
        assert isinstance(actual, str) and UUID.match(actual), f"{path}: {actual!r} is not a UUID"
    elif isinstance(expected, str) and TIME.match(expected) and expected != "0001-01-01T00:00:00Z":
        got, want = parse_go_time(actual), parse_go_time(expected)
        assert got.utcoffset() == want.utcoffset(), f"{path}: {actual} vs {expected}"
        assert abs(got - want) < timedelta(milliseconds=1), f"{path}: {actual} vs {expected}"
    else:
        assert actual == expected and type(actual) is type(expected), f"{path}: {actual!r} != {expected!r}"


def at(sim, moment):
    sim.control("SetTime", Time=moment)


AUTO_TOPUP_ACTIONS = {"ActionsId": "Action_AutoTopup_Service_1a2b3c4d_7", "Overwrite": True, "Actions": [
    {"Identifier": "*http_post", "ExtraParameters": "http://127.0.0.1:9/crm/provision/simple_provision_addon"},
    {"Identifier": "*cdrlog", "BalanceType": "*generic",
     "ExtraParameters": "{\"Category\": \"activation\", \"Destination\": \"Auto Renewal\"}"}]}


def send_example(sim, n):
    example = next(e for e in EXAMPLES if e["n"] == n)
    response = sim.post(example["request"])
    assert response.status_code == example["http_status"]
    assert response.headers["Content-Type"] == "application/json"
    return response.json(), example["response"]


def _example(n):
    return lambda sim: send_example(sim, n)


def _clock(moment):
    return lambda sim: at(sim, moment)


def _call(method, params):
    return lambda sim: sim.ok(method, params)


TOPUP_STANDARD = {"ActionsId": "Action_Topup_Standard", "Actions": [
    {"Identifier": "*topup", "BalanceType": "*monetary", "BalanceId": "Topup", "Units": 10}]}
PLAN_11 = [_call("ApierV1.SetActions", AUTO_TOPUP_ACTIONS), _clock("2025-01-15T10:05:00+10:00"), _example(11)]
ATTRIBUTE_PROFILE_19 = next(e for e in EXAMPLES if e["n"] == 19)["response"]["result"]
SETUP = {  # the state each example assumes, with the clock its times imply
    2: [_example(1)], 3: [_example(1)],
    4: [_example(1), _clock("2025-01-15T10:00:00.904512+10:00"), _example(2),
        _clock("2025-01-15T10:00:01.118274+10:00"), _example(3), _clock("2025-01-15T10:00:01.118402+10:00")],
    8: [_example(7)], 10: [_example(9)], 11: [_call("ApierV1.SetActions", AUTO_TOPUP_ACTIONS)],
    13: [_example(1), *PLAN_11], 14: [_example(1), *PLAN_11, _example(13)],
    15: [_example(1), _call("ApierV1.SetActions", TOPUP_STANDARD)], 16: [_example(1)], 17: PLAN_11,
    19: [_call("APIerSv1.SetAttributeProfile", ATTRIBUTE_PROFILE_19)], 20: [_example(7), _example(8)],
}


def prepare(sim, n):
    sim.control("Configure", Timezone="+10:00")
    at(sim, "2025-01-15T10:00:00+10:00")
    for step in SETUP.get(n, []):
        step(sim)


@pytest.mark.parametrize("n", [e["n"] for e in EXAMPLES])
def test_contract_example(sim, n):
    prepare(sim, n)
    actual, expected = send_example(sim, n)
    assert_shape(actual, expected)


def test_example_8_debits_the_voice_balance_and_a_repeat_is_exists(sim):
    prepare(sim, 8)
    send_example(sim, 8)
    account = sim.ok("ApierV2.GetAccount", {"Tenant": "cgrates.org", "Account": "Nick_Test_123"})
    assert account["BalanceMap"]["*voice"][0]["Value"] == 150_000_000_000
    repeat, _ = send_example(sim, 8)
    assert repeat["error"] == "EXISTS"


def test_example_9_again_without_overwrite_is_exists(sim):
    prepare(sim, 9)
    send_example(sim, 9)
    again, _ = send_example(sim, 9)
    assert again == {"id": "0", "result": None, "error": "EXISTS"}


# Transport (§1) -------------------------------------------------------------------------------
def test_reply_is_one_json_line_with_echoed_id(sim):
    response = sim.post({"method": "ApierV2.GetAccount", "params": [{"Account": "x"}], "id": {"a": [1]}})
    assert response.status_code == 200
    assert response.text == '{"id":{"a":[1]},"result":null,"error":"NOT_FOUND"}\n'
    no_id = sim.post({"method": "APIerSv1.Ping", "params": [{}]})
    assert no_id.text == '{"id":null,"result":"Pong","error":null}\n'


def test_invalid_json_is_200_with_an_empty_body(sim):
    response = sim.post(b'{"method": "ApierV2.GetAccount", "params": [ "Tenant": "t" ]}')
    assert (response.status_code, response.content) == (200, b"")


@pytest.mark.parametrize("body, error", [
    ({"method": "ApierV2.GetAccount", "id": 1}, "jsonrpc: request body missing params"),
    ({"method": "ApierV2.GetAccount", "params": None, "id": 1}, "jsonrpc: request body missing params"),
    ({"method": "NoSuchService.X", "params": [{}], "id": 1}, "rpc: can't find service NoSuchService.X"),
    ({"method": "ApierV2.NoSuchMethod", "params": [{}], "id": 1}, "rpc: can't find method ApierV2.NoSuchMethod"),
    ({"method": "nodot", "params": [{}], "id": 1}, "rpc: service/method request ill-formed: nodot"),
    ({"method": "APIerSv1.ReloadCache", "params": [{"ArgsCache": "*all"}], "id": 1},
     "rpc: can't find method APIerSv1.ReloadCache"),
    ({"method": "ApierV1.AddBalance", "params": {"Account": "a"}, "id": 1},
     "json: cannot unmarshal object into Go value of type [1]interface {}"),
])
def test_envelope_errors(sim, body, error):
    assert sim.post(body).json() == {"id": body.get("id"), "result": None, "error": error}


def test_only_params_0_is_read_and_empty_params_is_a_zero_argument(sim):
    reply = sim.post({"method": "ApierV1.AddBalance", "id": 1, "params": [
        {"Account": "a", "BalanceType": "*sms", "Balance": {"Value": 5}}, {"Account": "ignored"}]}).json()
    assert reply["result"] == "OK"
    assert sim.ok("ApierV2.GetAccount", {"Account": "a"})["BalanceMap"]["*sms"][0]["Value"] == 5
    assert sim.ok("ApierV2.GetAccounts", {"Tenant": "cgrates.org"})[0]["ID"] == "cgrates.org:a"
    empty = sim.post({"method": "ApierV1.AddBalance", "params": [], "id": 2}).json()
    assert empty["error"] == "MANDATORY_IE_MISSING: [Account BalanceType]"


def test_field_names_fold_case_unknown_fields_are_ignored_map_keys_do_not(sim):
    sim.ok("ApierV1.AddBalance", {"tenant": "t1", "ACCOUNT": "acc1", "balanceType": "*data", "Bogus": 1,
                                  "Balance": {"id": "lower-case key is ignored", "Value": 7}})
    balance = sim.ok("ApierV2.GetAccount", ACC)["BalanceMap"]["*data"][0]
    assert (balance["ID"], balance["Value"]) == ("", 7)


@pytest.mark.parametrize("method, params, error", [
    ("ApierV1.AddBalance", {"Account": "a", "BalanceType": "*data", "Value": "10"},
     "json: cannot unmarshal string into Go struct field AttrAddBalance.Value of type float64"),
    ("ApierV1.SetActions", {"ActionsId": "A", "Actions": [{"Identifier": "*topup", "Units": "5"}]},
     "json: cannot unmarshal string into Go struct field V1TPAction.Actions.Units of type float64"),
    ("ApierV2.SetAccount", {"Account": "a", "ExtraOptions": {"Disabled": "yes"}},
     "json: cannot unmarshal string into Go struct field AttrSetAccount.ExtraOptions of type bool"),
    ("ApierV2.SetAccount", {"Account": "a", "ActionPlanIds": "P1"},
     "json: cannot unmarshal string into Go struct field AttrSetAccount.ActionPlanIDs of type []string"),
])
def test_json_type_mismatches_are_errors(sim, method, params, error):
    assert sim.rpc(method, params)["error"] == error


def test_empty_tenant_is_the_default_tenant(sim):
    sim.ok("ApierV2.SetAccount", {"Tenant": "", "Account": "a"})
    assert sim.ok("ApierV2.GetAccount", {"Account": "a"})["ID"] == "cgrates.org:a"


def test_cors_headers_only_when_an_origin_is_sent(sim):
    plain = sim.post({"method": "APIerSv1.Ping", "params": [{}]})
    assert "Access-Control-Allow-Origin" not in plain.headers
    cors = sim.post({"method": "APIerSv1.Ping", "params": [{}]}, headers={"Origin": "http://ui.example"})
    assert cors.headers["Access-Control-Allow-Origin"] == "http://ui.example"
    assert cors.headers["Access-Control-Allow-Methods"] == "POST, GET, OPTIONS, PUT, DELETE"


# Names (§2) -----------------------------------------------------------------------------------
@pytest.mark.parametrize("service", ["APIerSv1", "ApierV1", "APIerSv2", "ApierV2"])
def test_v1_methods_answer_under_every_apier_alias(sim, service):
    sim.ok(f"{service}.AddBalance", {**ACC, "BalanceType": "*sms", "Balance": {"ID": "S", "Value": 1}})
    assert sim.ok("APIerSv2.GetAccount", ACC)["BalanceMap"]["*sms"][0]["Value"] == 1


def test_v1_get_account_is_the_old_structure(sim):
    sim.ok("ApierV1.AddBalance", {**ACC, "BalanceType": "*data", "Balance": {"ID": "D", "Value": 1}})
    old = sim.ok("ApierV1.GetAccount", ACC)
    assert old["Id"] == "*out:t1:acc1" and list(old["BalanceMap"]) == ["*data*out"]
    assert "Blocker" not in old["BalanceMap"]["*data*out"][0]


def test_other_services_exist_and_cdrs_v2_is_cdrs_v1(sim):
    assert sim.ok("SchedulerSv1.Reload", {}) == "OK"
    assert sim.ok("CacheSv1.Clear", {"CacheIDs": None}) == "OK"
    assert sim.ok("ThresholdSv1.GetThresholdIDs", {}) == []
    assert sim.rpc("CDRsV1.GetCDRs", {})["error"] == sim.rpc("CDRsV2.GetCDRs", {})["error"] == "SERVER_ERROR: NOT_FOUND"


# Accounts (§6.1-§6.3) -------------------------------------------------------------------------
def test_set_account_upserts_keeps_balances_and_applies_only_present_options(sim):
    sim.ok("ApierV2.SetAccount", {**ACC, "ExtraOptions": {"AllowNegative": True, "Disabled": True}})
    empty = sim.ok("ApierV2.GetAccount", ACC)
    assert empty["BalanceMap"] is None and empty["ActionTriggers"] is None
    sim.ok("ApierV1.AddBalance", {**ACC, "BalanceType": "*monetary", "Balance": {"ID": "M", "Value": 3}})
    sim.ok("ApierV2.SetAccount", {**ACC, "ExtraOptions": {"Disabled": False}})
    account = sim.ok("ApierV2.GetAccount", ACC)
    assert (account["AllowNegative"], account["Disabled"]) == (True, False)
    assert account["BalanceMap"]["*monetary"][0]["Value"] == 3


def _actions(sim, actions_id="TOPUP", units=1, identifier="*topup", balance_type="*sms"):
    sim.ok("ApierV1.SetActions", {"ActionsId": actions_id, "Overwrite": True, "Actions": [
        {"Identifier": identifier, "BalanceType": balance_type, "BalanceId": "B", "Units": units}]})


def _plan(sim, plan_id, time="*monthly", actions_id="TOPUP", reload=True):
    sim.ok("ApierV1.SetActionPlan", {"Id": plan_id, "Overwrite": True, "ReloadScheduler": reload,
                                     "ActionPlan": [{"ActionsId": actions_id, "Time": time, "Weight": 10}]})


def test_plans_attach_overwrite_detaches_and_asap_only_plans_queue_tasks(sim):
    _actions(sim)
    _plan(sim, "P1")
    _plan(sim, "P2")
    _plan(sim, "ASAP", time="*asap")
    sim.ok("ApierV2.SetAccount", {**ACC, "ActionPlanIDs": ["P1", "P2"]})
    sim.ok("ApierV2.SetAccount", {**ACC, "ActionPlanIDs": ["P2", "ASAP"], "ActionPlansOverwrite": True,
                                  "ReloadScheduler": False})
    assert [p["ActionPlanId"] for p in sim.ok("APIerSv1.GetAccountActionPlan", ACC)] == ["P2"]
    assert sim.ok("APIerSv1.GetActionPlan", {"ID": "P1"})[0]["AccountIDs"] == {}
    assert sim.ok("APIerSv1.GetActionPlan", {"ID": "ASAP"})[0]["AccountIDs"] is None
    assert sim.ok("ApierV2.GetAccount", ACC)["BalanceMap"] is None  # the *asap task waits for a reload
    sim.ok("SchedulerSv1.Reload", {})
    assert sim.ok("ApierV2.GetAccount", ACC)["BalanceMap"]["*sms"][0]["Value"] == 1


def test_unknown_plan_is_server_error_not_found_and_nothing_is_saved(sim):
    reply = sim.rpc("ApierV2.SetAccount", {**ACC, "ActionPlanIDs": ["nope"]})
    assert reply["error"] == "SERVER_ERROR: NOT_FOUND"
    assert sim.rpc("ApierV2.GetAccount", ACC)["error"] == "NOT_FOUND"


def test_unknown_trigger_group_saves_plans_but_not_the_account(sim):
    _actions(sim)
    _plan(sim, "P1")
    reply = sim.rpc("ApierV2.SetAccount", {**ACC, "ActionPlanIDs": ["P1"], "ActionTriggerIDs": ["nope"]})
    assert reply["error"] == "SERVER_ERROR: NOT_FOUND"
    assert sim.ok("APIerSv1.GetActionPlan", {"ID": "P1"})[0]["AccountIDs"] == {"t1:acc1": True}
    assert sim.rpc("ApierV2.GetAccount", ACC)["error"] == "NOT_FOUND"


def test_remove_account_is_ok_when_unknown_and_leaves_the_scheduler_snapshot(sim):
    assert sim.ok("ApierV1.RemoveAccount", {"Account": "ghost"}) == "OK"
    _actions(sim)
    _plan(sim, "P1")
    sim.ok("ApierV2.SetAccount", {**ACC, "ActionPlanIDs": ["P1"], "ReloadScheduler": True})
    sim.ok("ApierV2.RemoveAccount", ACC)
    assert sim.ok("APIerSv1.GetActionPlan", {"ID": "P1"})[0]["AccountIDs"] == {}
    assert sim.ok("ApierV1.GetScheduledActions", {})[0]["Accounts"] == 1  # copied at the last reload
    sim.control("AdvanceTime", Duration="745h")
    assert sim.ok("ApierV2.GetAccount", ACC)["BalanceMap"]["*sms"][0]["Value"] == 1  # re-created (§6.3)


# Balances (§6.4, §6.5, §4.3-§4.5) ------------------------------------------------------------
def _add(sim, balance, **extra):
    return sim.rpc("ApierV1.AddBalance", {**ACC, "BalanceType": extra.pop("type", "*data"),
                                          "Balance": balance, **extra})


def _balances(sim, balance_type="*data"):
    return sim.ok("ApierV2.GetAccount", ACC)["BalanceMap"][balance_type]


def test_add_balance_requires_account_and_type_and_creates_the_account(sim):
    assert sim.rpc("ApierV1.AddBalance", {"BalanceType": "*data"})["error"] == "MANDATORY_IE_MISSING: [Account]"
    assert sim.rpc("ApierV1.AddBalance", {"Account": "a"})["error"] == "MANDATORY_IE_MISSING: [BalanceType]"
    assert _add(sim, {"Value": 1})["result"] == "OK"
    created = _balances(sim)[0]
    assert created["ExpirationDate"] == "0001-01-01T00:00:00Z" and created["DestinationIDs"] == {}
    assert UUID.match(created["Uuid"]) and created["ID"] == ""


def test_matching_by_uuid_then_id_then_fields_and_only_the_value_changes(sim):
    _add(sim, {"ID": "A", "Value": 1, "Weight": 10, "ExpiryTime": "+10h"})
    _add(sim, {"ID": "B", "Value": 1, "Weight": 10})
    _add(sim, {"ID": "A", "Value": 2, "Weight": 99, "ExpiryTime": "+99h"})
    first, second = _balances(sim)
    assert (first["Value"], first["Weight"]) == (3, 10)
    _add(sim, {"UUID": second["Uuid"], "ID": "A", "Value": 5})
    assert [b["Value"] for b in _balances(sim)] == [3, 6]
    _add(sim, {"Weight": 10, "Value": 1})  # no ID: every balance with Weight 10 matches
    assert [b["Value"] for b in _balances(sim)] == [4, 7]
    _add(sim, {"ExpiryTime": "+1h", "Value": 1})  # a relative expiry never matches: new bucket
    assert len(_balances(sim)) == 3


def test_overwrite_resets_top_level_value_overrides_and_abs_is_applied(sim):
    _add(sim, {"ID": "A", "Value": 10})
    _add(sim, {"ID": "A", "Value": 1}, Value=-4)
    assert _balances(sim)[0]["Value"] == 14
    _add(sim, {"ID": "A", "Value": 2}, Overwrite=True)
    assert _balances(sim)[0]["Value"] == 2


def test_set_balance_sets_one_bucket_with_null_maps_and_needs_id_or_uuid(sim):
    params = {**ACC, "BalanceType": "*voice"}
    assert sim.rpc("ApierV1.SetBalance", {**params, "Balance": {"Value": 1}})["error"] == \
        "MANDATORY_IE_MISSING: [BalanceID or BalanceUUID]"
    sim.ok("ApierV1.SetBalance", {**params, "Balance": {"ID": "V", "Value": "5m", "Weight": 25}})
    sim.ok("ApierV1.SetBalance", {**params, "Balance": {"ID": "V", "Value": "1m"}})
    voice = _balances(sim, "*voice")
    assert len(voice) == 1 and voice[0]["Value"] == 60_000_000_000 and voice[0]["Weight"] == 25
    assert voice[0]["DestinationIDs"] is None and voice[0]["Categories"] is None
    unknown = sim.rpc("ApierV1.SetBalance", {**params, "Balance": {"UUID": "no-such-uuid", "Value": 1}})
    assert unknown["error"] == "PARTIALLY_EXECUTED"


@pytest.mark.parametrize("value, expected", [(100, 100), ("100", 100), ("2500.00", 2500), ("5m", 300e9),
                                             ("1.5h", 5400e9), ("150s", 150e9), (-3, 3)])
def test_balance_value_parsing(sim, value, expected):
    _add(sim, {"Value": value})
    assert _balances(sim)[0]["Value"] == expected


@pytest.mark.parametrize("value, error", [
    ("abc", 'strconv.ParseFloat: parsing "abc": invalid syntax'),
    ("30d", 'strconv.ParseFloat: parsing "30d": invalid syntax'),
])
def test_balance_value_errors(sim, value, error):
    assert _add(sim, {"Value": value})["error"] == error


@pytest.mark.parametrize("expiry, expected", [
    ("*month_end", "2025-01-31T23:59:59+10:00"), ("*month_end+24h", "2025-02-01T23:59:59+10:00"),
    ("*unlimited", "0001-01-01T00:00:00Z"), ("", "0001-01-01T00:00:00Z"), ("+720h", "2025-02-14T10:00:00+10:00"),
    ("*monthly", "2025-02-15T10:00:00+10:00"), ("*month", "2025-02-15T10:00:00+10:00"),
    ("2025-03-01T00:00:00Z", "2025-03-01T00:00:00Z"), ("2025-03-01T00:00:00.000+1000", "2025-03-01T00:00:00+10:00"),
    ("2025-03-01 00:00:00", "2025-03-01T00:00:00+10:00"), ("1738368000", "2025-02-01T10:00:00+10:00"),
])
def test_expiry_time_forms(sim, expiry, expected):
    sim.control("Configure", Timezone="+10:00")
    at(sim, "2025-01-15T10:00:00+10:00")
    _add(sim, {"Value": 1, "ExpiryTime": expiry})
    assert _balances(sim)[0]["ExpirationDate"] == expected


@pytest.mark.parametrize("expiry, error", [
    ("+30d", 'time: unknown unit "d" in duration "30d"'),
    ("2025-02-01T00:00:00+1000",
     'parsing time "2025-02-01T00:00:00+1000" as "2006-01-02T15:04:05Z07:00": cannot parse "+1000" as "Z07:00"'),
    ("next tuesday", "Unsupported time format"),
])
def test_expiry_time_errors(sim, expiry, error):
    assert _add(sim, {"Value": 1, "ExpiryTime": expiry})["error"] == error


def test_values_are_rounded_to_five_decimals(sim):
    _add(sim, {"Value": 0.1234567}, type="*monetary")
    assert _balances(sim, "*monetary")[0]["Value"] == 0.12346


def test_expired_balances_stay_until_the_next_balance_operation(sim):
    at(sim, "2025-01-15T10:00:00Z")
    _add(sim, {"ID": "short", "Value": 1, "ExpiryTime": "+1h"})
    sim.control("AdvanceTime", Duration="2h")
    assert [b["ID"] for b in _balances(sim)] == ["short"]  # GetAccount does not prune
    _add(sim, {"ID": "other", "Value": 1}, type="*sms")
    assert _balances(sim) == []


def test_debit_balance_subtracts_or_creates_a_negative_bucket(sim):
    _add(sim, {"ID": "A", "Value": 10})
    sim.ok("ApierV1.DebitBalance", {**ACC, "BalanceType": "*data", "Balance": {"ID": "A", "Value": 4}})
    sim.ok("ApierV1.DebitBalance", {**ACC, "BalanceType": "*data", "Balance": {"ID": "B", "Value": 2}})
    assert [(b["ID"], b["Value"]) for b in _balances(sim)] == [("A", 6), ("B", -2)]


def test_remove_balances_needs_an_existing_account(sim):
    assert sim.rpc("APIerSv1.RemoveBalances", {**ACC, "BalanceType": "*data"})["error"] == "NOT_FOUND"
    _add(sim, {"ID": "A", "Value": 1})
    _add(sim, {"ID": "B", "Value": 1})
    sim.ok("APIerSv1.RemoveBalances", {**ACC, "BalanceType": "*data", "Balance": {"ID": "A"}})
    assert [b["ID"] for b in _balances(sim)] == ["B"]


# Actions and plans (§6.6-§6.11, §7) -----------------------------------------------------------
def test_set_actions_validation(sim):
    assert sim.rpc("ApierV1.SetActions", {"Actions": []})["error"] == "MANDATORY_IE_MISSING: [ActionsId Actions]"
    reply = sim.rpc("ApierV1.SetActions", {"ActionsId": "A", "Actions": [{"BalanceType": "*data", "Units": 1}]})
    assert reply["error"] == "MANDATORY_IE_MISSING:Action::[Identifier]"
    _actions(sim, "A")
    assert sim.rpc("ApierV1.SetActions", {"ActionsId": "A", "Actions": [{"Identifier": "*log"}]})["error"] == "EXISTS"


def test_v2_set_actions_takes_string_units_and_voice_durations(sim):
    sim.ok("ApierV2.SetActions", {"ActionsId": "V", "Actions": [
        {"Identifier": "*topup", "BalanceType": "*voice", "BalanceId": "VOICE", "Units": "5m", "Weight": 1}]})
    sim.ok("APIerSv1.ExecuteAction", {**ACC, "ActionsId": "V"})
    assert _balances(sim, "*voice")[0]["Value"] == 300e9
    assert sim.ok("APIerSv1.GetActions", "V")[0]["Units"] == "300000000000"


def test_execute_action_unknown_set_and_weight_order(sim):
    assert sim.rpc("APIerSv1.ExecuteAction", {**ACC, "ActionsId": "nope"})["error"] == "NOT_FOUND"
    sim.ok("ApierV1.SetActions", {"ActionsId": "ORDER", "Actions": [
        {"Identifier": "*topup", "BalanceType": "*data", "BalanceId": "D", "Units": 5, "Weight": 10},
        {"Identifier": "*topup_reset", "BalanceType": "*data", "BalanceId": "D", "Units": 1, "Weight": 20}]})
    sim.ok("APIerSv1.ExecuteAction", {**ACC, "ActionsId": "ORDER"})
    assert _balances(sim)[0]["Value"] == 6  # reset (weight 20) ran before the top-up (weight 10)


def test_a_failing_action_rolls_back_the_account(sim):
    _add(sim, {"ID": "D", "Value": 1})
    sim.ok("ApierV1.SetActions", {"ActionsId": "BAD", "Actions": [
        {"Identifier": "*topup", "BalanceType": "*data", "BalanceId": "D", "Units": 5, "Weight": 20},
        {"Identifier": "*no_such_action", "Weight": 10}]})
    assert sim.rpc("APIerSv1.ExecuteAction", {**ACC, "ActionsId": "BAD"})["error"] == "PARTIALLY_EXECUTED"
    assert _balances(sim)[0]["Value"] == 1


class _Recorder(BaseHTTPRequestHandler):
    def do_POST(self):
        self.server.bodies.append((self.headers["Content-Type"],
                                   json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def callback_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.bodies = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_http_post_really_posts_the_account_json(sim, callback_server):
    url = f"http://127.0.0.1:{callback_server.server_port}/crm/provision/simple_provision_addon/1/2/2"
    sim.ok("ApierV1.SetActions", {"ActionsId": "CB", "Actions": [
        {"Identifier": "*topup", "BalanceType": "*data", "BalanceId": "D", "Units": 5, "Weight": 20},
        {"Identifier": "*http_post", "ExtraParameters": url, "Weight": 10}]})
    sim.ok("APIerSv1.ExecuteAction", {**ACC, "ActionsId": "CB"})
    content_type, body = callback_server.bodies[0]
    assert content_type == "application/json"
    assert body["ID"] == "t1:acc1" and body["BalanceMap"]["*data"][0]["Value"] == 5
    assert sim.control("GetHttpPosts")[0]["Status"] == 200


def test_cdrlog_writes_one_cdr_per_balance_action_or_fails_without_cdrs(sim):
    sim.ok("ApierV1.SetActions", {"ActionsId": "LOG", "Actions": [
        {"Identifier": "*topup", "BalanceType": "*monetary", "BalanceId": "M", "Units": 9, "Weight": 20},
        {"Identifier": "*cdrlog", "ExtraParameters": "{\"Category\":\"activation\"}", "Weight": 10}]})
    sim.ok("APIerSv1.ExecuteAction", {**ACC, "ActionsId": "LOG"})
    cdr = sim.ok("CDRsV1.GetCDRs", {"Accounts": ["acc1"]})[0]
    assert (cdr["RunID"], cdr["Source"], cdr["Cost"], cdr["Category"]) == ("*topup", "*cdrlog", 9, "activation")
    sim.control("Configure", CdrsConns=False)
    assert sim.rpc("APIerSv1.ExecuteAction", {**ACC, "ActionsId": "LOG"})["error"] == "PARTIALLY_EXECUTED"
    assert _balances(sim, "*monetary")[0]["Value"] == 9  # the failed set rolled back its top-up


@pytest.mark.parametrize("item, error", [
    ({"Time": "*monthly"}, "MANDATORY_IE_MISSING:Action::[ActionsId]"),
    ({"ActionsId": "TOPUP"}, "MANDATORY_IE_MISSING:Action:TOPUP:[Time]"),
    ({"ActionsId": "missing", "Time": "*monthly"}, "BROKEN_REFERENCE:missing"),
    ({"ActionsId": "TOPUP", "Time": "00:00:00Z"}, "UNSUPPORTED_FORMAT:00:00:00Z"),
    ({"ActionsId": "TOPUP", "Time": "*now"}, "UNSUPPORTED_FORMAT:*now"),
])
def test_set_action_plan_validation(sim, item, error):
    _actions(sim)
    assert sim.rpc("ApierV1.SetActionPlan", {"Id": "P", "ActionPlan": [item]})["error"] == error


def test_set_action_plan_exists_and_overwrite_drops_accounts(sim):
    _actions(sim)
    _plan(sim, "P")
    assert sim.rpc("ApierV1.SetActionPlan", {"Id": "P", "ActionPlan": [
        {"ActionsId": "TOPUP", "Time": "*monthly"}]})["error"] == "EXISTS"
    sim.ok("ApierV2.SetAccount", {**ACC, "ActionPlanIDs": ["P"]})
    _plan(sim, "P")
    assert sim.ok("APIerSv1.GetActionPlan", {"ID": "P"})[0]["AccountIDs"] is None
    assert sim.ok("APIerSv1.GetAccountActionPlan", ACC) == []


def test_monthly_timing_is_anchored_at_creation(sim):
    sim.control("Configure", Timezone="+10:00")
    at(sim, "2025-01-15T10:05:00+10:00")
    _actions(sim)
    _plan(sim, "P")
    timing = sim.ok("APIerSv1.GetActionPlan", {"ID": "P"})[0]["ActionTimings"][0]["Timing"]["Timing"]
    assert timing == {"ID": "*monthly", "Years": [], "Months": [], "MonthDays": [15], "WeekDays": [],
                      "StartTime": "10:05:00", "EndTime": ""}
    assert sim.ok("ApierV1.GetScheduledActions", {})[0]["NextRunTime"] == "2025-02-15T10:05:00+10:00"


def test_remove_action_plan(sim):
    assert sim.rpc("ApierV1.RemoveActionPlan", {})["error"] == "MANDATORY_IE_MISSING: [ID]"
    assert sim.ok("ApierV1.RemoveActionPlan", {"Id": "absent"}) == "OK"
    _actions(sim)
    _plan(sim, "P")
    sim.ok("ApierV2.SetAccount", {**ACC, "ActionPlanIDs": ["P"], "ReloadScheduler": True})
    sim.ok("ApierV1.RemoveActionPlan", {"Tenant": "ignored", "Id": "P"})
    assert sim.rpc("APIerSv1.GetActionPlan", {"ID": "P"})["error"] == "NOT_FOUND"
    assert sim.ok("APIerSv1.GetAccountActionPlan", ACC) == []
    assert len(sim.ok("ApierV1.GetScheduledActions", {})) == 1  # no reload yet
    sim.ok("SchedulerSv1.Reload", {})
    assert sim.rpc("ApierV1.GetScheduledActions", {})["error"] == "NOT_FOUND"


def test_get_account_action_plan_requires_account_with_the_sic_space(sim):
    assert sim.rpc("APIerSv1.GetAccountActionPlan", {})["error"] == "MANDATORY_IE_MISSING: [Account ]"


def test_scheduled_actions_filters_order_and_errors(sim):
    at(sim, "2025-01-15T10:00:00Z")
    _actions(sim)
    _plan(sim, "DAILY", time="*daily")
    _plan(sim, "MONTHLY")
    _plan(sim, "EMPTY", time="*yearly")
    sim.ok("ApierV2.SetAccount", {**ACC, "ActionPlanIDs": ["DAILY", "MONTHLY"], "ReloadScheduler": True})
    queue = sim.ok("ApierV1.GetScheduledActions", {})
    assert [(e["ActionPlanID"], e["Accounts"]) for e in queue] == [("DAILY", 1), ("MONTHLY", 1), ("EMPTY", 0)]
    mine = sim.ok("ApierV1.GetScheduledActions", {"Tenant": "t1", "Account": "acc1"})
    assert [e["ActionPlanID"] for e in mine] == ["DAILY", "MONTHLY"]
    window = sim.ok("ApierV1.GetScheduledActions", {"TimeStart": "2025-01-17T00:00:00Z",
                                                    "TimeEnd": "2026-01-15T10:00:00Z"})
    assert [e["ActionPlanID"] for e in window] == ["MONTHLY"]
    assert [e["ActionPlanID"] for e in sim.ok("ApierV1.GetScheduledActions", {"Offset": 1, "Limit": 1})] == ["MONTHLY"]
    assert sim.rpc("ApierV1.GetScheduledActions", {"Account": "nobody"})["error"] == "NOT_FOUND"
    sim.control("Configure", SchedulerRunning=False)
    assert sim.rpc("ApierV1.GetScheduledActions", {})["error"] == "SCHEDULER_NOT_RUNNING"


@pytest.mark.parametrize("time, next_run", [
    ("*every_minute", "2025-01-15T10:06:30Z"), ("*hourly", "2025-01-15T11:05:30Z"),
    ("*daily", "2025-01-16T10:05:30Z"), ("*weekly", "2025-01-22T10:05:30Z"),
    ("*monthly", "2025-02-15T10:05:30Z"), ("*month_end", "2025-01-31T10:05:30Z"),
    ("*yearly", "2026-01-15T10:05:30Z"), ("+10m", "2025-01-15T10:15:30Z"), ("08:00:00", "2025-01-16T08:00:00Z"),
])
def test_next_run_of_each_timing(sim, time, next_run):
    at(sim, "2025-01-15T10:05:30Z")
    _actions(sim)
    _plan(sim, "P", time=time)
    assert sim.ok("ApierV1.GetScheduledActions", {})[0]["NextRunTime"] == next_run


def test_monthly_estimated_falls_back_to_the_last_day(sim):
    at(sim, "2025-01-31T10:00:00Z")
    _actions(sim)
    _plan(sim, "P", time="*monthly_estimated")
    assert sim.ok("ApierV1.GetScheduledActions", {})[0]["NextRunTime"] == "2025-02-28T10:00:00Z"


def test_advance_time_fires_monthly_with_cron_semantics_and_drops_one_shots(sim):
    at(sim, "2025-01-31T09:00:00Z")
    _actions(sim)
    _plan(sim, "MONTHLY")
    _plan(sim, "ONCE", time="+10m")
    sim.ok("ApierV2.SetAccount", {**ACC, "ActionPlanIDs": ["MONTHLY", "ONCE"], "ReloadScheduler": True})
    fired = sim.control("AdvanceTime", To="2025-06-01T00:00:00Z")
    assert [(f["ActionPlanID"], f["Time"]) for f in fired] == [
        ("ONCE", "2025-01-31T09:10:00Z"), ("MONTHLY", "2025-03-31T09:00:00Z"), ("MONTHLY", "2025-05-31T09:00:00Z")]
    assert _balances(sim, "*sms")[0]["Value"] == 3


# Triggers and thresholds (§6.12, §6.16) -------------------------------------------------------
def test_min_balance_trigger_fires_once_until_reset(sim):
    _actions(sim, "WARN", units=100, balance_type="*monetary")
    sim.ok("APIerSv1.SetActionTrigger", {"GroupID": "LOW", "ActionTrigger": {
        "ThresholdType": "*min_balance", "ThresholdValue": 2, "BalanceType": "*monetary", "ActionsID": "WARN"}})
    assert sim.rpc("APIerSv1.ResetAccountActionTriggers", ACC)["error"] == "NOT_FOUND"
    sim.ok("ApierV2.SetAccount", {**ACC, "ActionTriggerIDs": ["LOW"]})
    _add(sim, {"ID": "M", "Value": 1}, type="*monetary")  # 1 <= 2: WARN tops B up by 100
    assert {b["ID"]: b["Value"] for b in _balances(sim, "*monetary")} == {"M": 1, "B": 100}
    _add(sim, {"ID": "M", "Value": 0}, type="*monetary")
    assert {b["ID"]: b["Value"] for b in _balances(sim, "*monetary")}["B"] == 100  # Executed
    sim.ok("APIerSv1.ResetAccountActionTriggers", {**ACC, "Executed": False})
    assert sim.ok("APIerSv1.GetAccountActionTriggers", ACC)[0]["Executed"] is False


def test_thresholds_count_hits_and_run_actions(sim):
    _actions(sim, "DISABLE", identifier="*disable_account")
    sim.ok("APIerSv1.SetThresholdProfile", {"Tenant": "t1", "ID": "TH", "FilterIDs": ["*string:~*req.Account:acc1"],
                                            "MaxHits": -1, "MinHits": 2, "ActionIDs": ["DISABLE"]})
    event = {"Tenant": "t1", "ID": "e1", "Event": {"Account": "acc1"}}
    assert sim.ok("ThresholdSv1.ProcessEvent", event) == ["TH"]
    assert sim.rpc("ApierV2.GetAccount", ACC)["error"] == "NOT_FOUND"  # MinHits not reached
    sim.ok("ThresholdSv1.ProcessEvent", event)
    assert sim.ok("ApierV2.GetAccount", ACC)["Disabled"] is True
    assert sim.ok("ThresholdSv1.GetThreshold", {"Tenant": "t1", "ID": "TH"})["Hits"] == 2
    other = sim.rpc("ThresholdSv1.ProcessEvent", {"Tenant": "t1", "ID": "e2", "Event": {"Account": "x"}})
    assert other["error"] == "NOT_FOUND"
    assert sim.ok("APIerSv1.RemoveThresholdProfile", {"Tenant": "t1", "ID": "TH"}) == "OK"
    assert sim.rpc("APIerSv1.GetThresholdProfile", {"Tenant": "t1", "ID": "TH"})["error"] == "NOT_FOUND"


# Attributes and filters (§6.14; filters are a simulator extension) ----------------------------
def test_attribute_profiles_v1_v2_and_errors(sim):
    sim.ok("APIerSv2.SetAttributeProfile", {"ID": "ATTR_ACCOUNT_S1", "Contexts": ["*any"],
                                            "Attributes": [{"Path": "*req.IMSI", "Type": "*constant", "Value": "a;b"}]})
    profile = sim.ok("APIerSv1.GetAttributeProfile", {"ID": "ATTR_ACCOUNT_S1"})
    assert profile["Tenant"] == "cgrates.org"
    assert profile["Attributes"][0]["Value"] == [{"Rules": "a"}, {"Rules": "b"}]
    assert sim.rpc("APIerSv1.SetAttributeProfile", {"ID": "X", "Attributes": [{"Type": "*constant"}]})["error"] == \
        "MANDATORY_IE_MISSING: [Path]"
    assert sim.rpc("APIerSv1.SetAttributeProfile", {"ID": "X"})["error"] == "MANDATORY_IE_MISSING: [Attributes]"
    assert sim.rpc("APIerSv1.RemoveAttributeProfile", {"ID": "unknown"})["error"] == "NOT_FOUND"
    assert sim.rpc("APIerSv1.GetAttributeProfile", {})["error"] == "MANDATORY_IE_MISSING: [ID]"


def test_filters_and_active_sessions(sim):
    rules = [{"Type": "*string", "Element": "~*req.Account", "Values": ["acc1"]}]
    sim.ok("ApierV1.SetFilter", {"Tenant": "t1", "ID": "FLTR_ACCOUNT_acc1", "Rules": rules})
    assert sim.ok("APIerSv1.GetFilter", {"Tenant": "t1", "ID": "FLTR_ACCOUNT_acc1"})["Rules"] == rules
    bad = sim.rpc("ApierV1.SetFilter", {"ID": "F", "Rules": [{"Type": "*bogus", "Element": "x", "Values": ["1"]}]})
    assert bad["error"] == "SERVER_ERROR: Unsupported filter Type: *bogus"
    assert sim.rpc("SessionSv1.GetActiveSessions", {})["error"] == "NOT_FOUND"
    sim.control("AddSession", Session={"Tenant": "t1", "Account": "acc1", "OriginID": "o1", "Usage": 30e9})
    sim.control("AddSession", Session={"Tenant": "t1", "Account": "acc2", "OriginID": "o2"})
    mine = sim.ok("SessionSv1.GetActiveSessions", {"Tenant": "t1", "Filters": ["FLTR_ACCOUNT_acc1"]})
    assert [(s["Account"], s["Subject"], s["Usage"]) for s in mine] == [("acc1", "acc1", 30e9)]


# CDRs (§6.15) ---------------------------------------------------------------------------------
def _cdr(sim, **fields):
    return sim.rpc("CDRsV2.ProcessExternalCDR", {"Tenant": "t1", "Account": "acc1", "ToR": "*data",
                                                 "RequestType": "*prepaid", **fields})


def test_cdr_debit_uses_highest_weight_first_and_reports_shortfalls(sim):
    _add(sim, {"ID": "LOW", "Value": 100, "Weight": 10})
    _add(sim, {"ID": "HIGH", "Value": 50, "Weight": 30})
    assert _cdr(sim, OriginID="o1", Usage="120")["result"] == "OK"
    assert {b["ID"]: b["Value"] for b in _balances(sim)} == {"LOW": 30, "HIGH": 0}
    _cdr(sim, OriginID="o2", Usage="100")
    cdrs = sim.ok("CDRsV1.GetCDRs", {"Accounts": ["acc1"], "OrderBy": "OrderID;desc"})
    assert [(c["OriginID"], c["Cost"], c["ExtraInfo"]) for c in cdrs] == [
        ("o2", -1, "INSUFFICIENT_CREDIT"), ("o1", 0, "")]
    assert cdrs[0]["Category"] == "call" and cdrs[0]["RunID"] == "*default" and cdrs[0]["Subject"] == "acc1"


def test_cdr_on_a_disabled_account_and_duplicates(sim):
    sim.ok("ApierV2.SetAccount", {**ACC, "ExtraOptions": {"Disabled": True}})
    _cdr(sim, OriginID="o1", Usage="1")
    assert sim.ok("CDRsV1.GetCDRs", {})[0]["ExtraInfo"] == "ACCOUNT_DISABLED"
    assert _cdr(sim, OriginID="o1", Usage="1")["error"] == "EXISTS"


def test_cdr_queries(sim):
    at(sim, "2025-01-15T10:00:00Z")
    _cdr(sim, OriginID="v1", ToR="*voice", Usage="150s", AnswerTime="2025-01-15T09:00:00Z", RequestType="*none")
    _cdr(sim, OriginID="d1", Usage="10", AnswerTime="2025-01-15T11:00:00Z", RequestType="*none")
    assert [c["OriginID"] for c in sim.ok("CDRsV1.GetCDRs", {"ToRs": ["*voice"]})] == ["v1"]
    assert [c["OriginID"] for c in sim.ok("CDRsV1.GetCDRs", {"AnswerTimeStart": "2025-01-15T10:00:00Z"})] == ["d1"]
    assert [c["OriginID"] for c in sim.ok("CDRsV1.GetCDRs", {"OrderBy": "Usage", "Limit": 1})] == ["d1"]
    assert sim.rpc("CDRsV1.GetCDRs", {"OrderBy": "Nope"})["error"] == "SERVER_ERROR: Invalid value : Nope"
    assert sim.rpc("CDRsV1.GetCDRs", {"Accounts": ["x"]})["error"] == "SERVER_ERROR: NOT_FOUND"
    assert sim.rpc("APIerSv2.GetCDRs", {"Accounts": ["x"]})["error"] == "NOT_FOUND"
    external = sim.ok("APIerSv2.GetCDRs", {"OrderBy": "OrderID"})
    assert [c["Usage"] for c in external] == ["2m30s", "10"]
    assert sim.ok("CDRsV1.GetCDRsCount", {"Tenants": ["t1"]}) == 2


# Simulator controls ---------------------------------------------------------------------------
def test_fail_next_injects_an_error_once(sim):
    sim.control("FailNext", Method="ApierV2.GetAccount", Error="SERVER_ERROR: boom")
    assert sim.rpc("ApierV2.GetAccount", ACC)["error"] == "SERVER_ERROR: boom"
    assert sim.rpc("ApierV2.GetAccount", ACC)["error"] == "NOT_FOUND"


def test_many_clients_connecting_at_once_are_all_served(sim):
    """As CGRateS: a burst of new connections (API threads under load, bench/load.py) is queued, never reset."""
    import requests
    clients = 64
    barrier, failures = threading.Barrier(clients), []

    def client():
        http = requests.Session()
        barrier.wait()
        for _ in range(3):
            try:
                reply = http.post(sim.url, json={"method": "ApierV2.SetAccount",
                                                 "params": [{"Tenant": "t1", "Account": "burst"}], "id": 1},
                                  timeout=10)
                assert reply.status_code == 200 and reply.json()["result"] == "OK"
            except Exception as exc:  # noqa: BLE001 - every failure is reported
                failures.append(repr(exc))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
