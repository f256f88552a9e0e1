"""Actions, ActionPlans, the scheduler and action triggers (CONTRACT.md §6.6-§6.13)."""
from . import scheduler
from .actions import Action, evaluate_triggers, run_actions
from .api_accounts import account_id
from .convert import as_bool, as_float, as_string, go_parse_bool, go_parse_float, parse_string_map
from .gojson import (ANY, BOOL, FLOAT, INT, STRING, TIME, ListOf, MapOf, Ptr, RpcError, Struct,
                     missing_fields, require)
from .gotime import GoError, format_time, parse_duration, parse_rfc3339, parse_time
from .model import ActionTrigger, BalanceFilter, new_uuid
from .rpc import APIER_V1, APIER_V1_ONLY, APIER_V2, method

V1_TP_ACTION = Struct(
    "v1.V1TPAction", ("Identifier", STRING), ("BalanceId", STRING), ("BalanceUuid", STRING),
    ("BalanceType", STRING), ("Units", FLOAT), ("ExpiryTime", STRING), ("Filters", ListOf(STRING)),
    ("TimingTags", STRING), ("DestinationIds", STRING), ("RatingSubject", STRING), ("Categories", STRING),
    ("SharedGroups", STRING), ("BalanceWeight", Ptr(FLOAT)), ("ExtraParameters", STRING),
    ("BalanceBlocker", STRING), ("BalanceDisabled", STRING), ("Weight", FLOAT))
V1_SET_ACTIONS = Struct(
    "v1.V1AttrSetActions", ("ActionsId", STRING), ("Overwrite", BOOL), ("Actions", ListOf(V1_TP_ACTION)))
TP_ACTION = Struct(
    "utils.TPAction", ("Identifier", STRING), ("BalanceId", STRING), ("BalanceUuid", STRING),
    ("BalanceType", STRING), ("Units", STRING), ("ExpiryTime", STRING), ("Filters", STRING),
    ("TimingTags", STRING), ("DestinationIds", STRING), ("RatingSubject", STRING), ("Categories", STRING),
    ("SharedGroups", STRING), ("BalanceWeight", STRING), ("ExtraParameters", STRING),
    ("BalanceBlocker", STRING), ("BalanceDisabled", STRING), ("Weight", FLOAT))
V2_SET_ACTIONS = Struct(
    "utils.AttrSetActions", ("ActionsId", STRING), ("Overwrite", BOOL), ("Actions", ListOf(TP_ACTION)))
V2_GET_ACTIONS = Struct("v2.AttrGetActions", ("ActionIDs", ListOf(STRING)), ("Offset", INT), ("Limit", INT))
REMOVE_ACTIONS = Struct("v1.AttrRemoveActions", ("ActionIDs", ListOf(STRING)))
EXECUTE_ACTION = Struct("utils.AttrExecuteAction", ("Tenant", STRING), ("Account", STRING), ("ActionsId", STRING))
ACTION_PLAN_ITEM = Struct(
    "engine.AttrActionPlan", ("ActionsId", STRING), ("TimingID", STRING), ("Years", STRING),
    ("Months", STRING), ("MonthDays", STRING), ("WeekDays", STRING), ("Time", STRING), ("Weight", FLOAT))
SET_ACTION_PLAN = Struct(
    "engine.AttrSetActionPlan", ("Id", STRING), ("ActionPlan", ListOf(ACTION_PLAN_ITEM)),
    ("Overwrite", BOOL), ("ReloadScheduler", BOOL))
GET_ACTION_PLAN = Struct("v1.AttrGetActionPlan", ("ID", STRING))
PAGINATOR = Struct("utils.PaginatorWithTenant", ("Tenant", STRING), ("Limit", Ptr(INT)), ("Offset", Ptr(INT)))
TENANT_ACCOUNT = Struct("utils.TenantAccount", ("Tenant", STRING), ("Account", STRING))
SCHEDULED_ACTIONS = Struct(
    "scheduler.ArgsGetScheduledActions", ("Tenant", Ptr(STRING)), ("Account", Ptr(STRING)),
    ("TimeStart", Ptr(TIME)), ("TimeEnd", Ptr(TIME)), ("Limit", Ptr(INT)), ("Offset", Ptr(INT)))
SET_ACTION_TRIGGER = Struct(
    "v1.AttrSetActionTrigger", ("GroupID", STRING), ("UniqueID", STRING), ("ActionTrigger", MapOf(ANY)))
GET_ACTION_TRIGGERS = Struct("v1.AttrGetActionTriggers", ("GroupIDs", ListOf(STRING)))
RESET_TRIGGERS = Struct(
    "v1.AttrResetAccountActionTriggers", ("Tenant", STRING), ("Account", STRING), ("GroupID", STRING),
    ("UniqueID", STRING), ("Executed", BOOL))


def _check_action_items(actions, units_field):
    for item in actions:
        required = ["Identifier", "Weight"] + ([units_field] if item["BalanceType"] else [])
        missing = missing_fields(item, required)
        if missing:
            raise RpcError(f"MANDATORY_IE_MISSING:Action:{item['Identifier']}:[{' '.join(missing)}]")


def _optional_bool(text):
    return go_parse_bool(text) if text else None


def _build_action(actions_id, item, value, weight, filters):
    """Both API forms always build a filter with ID/Uuid/Type/RatingSubject and {} maps (§6.6)."""
    if item["TimingTags"]:
        tag = item["TimingTags"].split(";")[0]
        raise RpcError(f'error: NOT_FOUND querying timing with id: "{tag}"')
    try:
        blocker, disabled = _optional_bool(item["BalanceBlocker"]), _optional_bool(item["BalanceDisabled"])
    except GoError as exc:
        raise RpcError(str(exc)) from None
    balance = BalanceFilter(
        Uuid=item["BalanceUuid"], ID=item["BalanceId"], Type=item["BalanceType"], Value=value, Weight=weight,
        RatingSubject=item["RatingSubject"], DestinationIDs=parse_string_map(item["DestinationIds"]),
        Categories=parse_string_map(item["Categories"]), SharedGroups=parse_string_map(item["SharedGroups"]),
        TimingIDs={}, Blocker=blocker, Disabled=disabled)
    return Action(Id=actions_id, ActionType=item["Identifier"], ExtraParameters=item["ExtraParameters"],
                  Filters=filters, ExpirationString=item["ExpiryTime"], Weight=item["Weight"], Balance=balance)


def _store_actions(state, args, build):
    require(args, "ActionsId", "Actions")
    _check_action_items(args["Actions"], "Units")
    if not args["Overwrite"] and args["ActionsId"] in state.actions:
        raise RpcError("EXISTS")
    state.actions[args["ActionsId"]] = [build(item) for item in args["Actions"]]
    return "OK"


@method(APIER_V1_ONLY, "SetActions", V1_SET_ACTIONS)
def set_actions_v1(state, args):
    """V1 form: Units is a JSON number, *voice units are nanoseconds."""
    return _store_actions(state, args, lambda item: _build_action(
        args["ActionsId"], item, item["Units"], item["BalanceWeight"], item["Filters"]))


def _v2_units(item):
    if not item["Units"]:
        return 0.0
    if item["BalanceType"] == "*voice" and not item["Units"].lstrip("-").isdigit():
        return float(parse_duration(item["Units"]))
    return go_parse_float(item["Units"])


@method(APIER_V2, "SetActions", V2_SET_ACTIONS)
def set_actions_v2(state, args):
    """V2 form: Units, BalanceWeight, BalanceBlocker/Disabled are strings; Filters is ";"-joined."""
    def build(item):
        try:
            units = _v2_units(item)
            weight = go_parse_float(item["BalanceWeight"]) if item["BalanceWeight"] else None
        except GoError as exc:
            raise RpcError(f"SERVER_ERROR: {exc}") from None
        filters = [f for f in item["Filters"].split(";") if f] or None
        return _build_action(args["ActionsId"], item, units, weight, filters)
    return _store_actions(state, args, build)


def _format_float(number):
    return "" if number is None else (str(int(number)) if number.is_integer() else repr(number))


def _tp_action(action):
    """The string-typed utils.TPAction view that APIerSv1.GetActions returns."""
    bf = action.Balance
    def bool_text(flag):
        return "" if flag is None else ("true" if flag else "false")
    return {"Identifier": action.ActionType, "BalanceId": bf.ID or "", "BalanceUuid": bf.Uuid or "",
            "BalanceType": bf.Type or "", "Units": _format_float(bf.Value),
            "ExpiryTime": action.ExpirationString, "Filters": ";".join(action.Filters or []),
            "TimingTags": ";".join(bf.TimingIDs or {}), "DestinationIds": ";".join(bf.DestinationIDs or {}),
            "RatingSubject": bf.RatingSubject or "", "Categories": ";".join(bf.Categories or {}),
            "SharedGroups": ";".join(bf.SharedGroups or {}), "BalanceWeight": _format_float(bf.Weight),
            "ExtraParameters": action.ExtraParameters, "BalanceBlocker": bool_text(bf.Blocker),
            "BalanceDisabled": bool_text(bf.Disabled), "Weight": action.Weight}


@method(APIER_V1_ONLY, "GetActions", STRING)
def get_actions_v1(state, actions_id):
    if not actions_id:
        raise RpcError("MANDATORY_IE_MISSING ActionsId: ")
    if actions_id not in state.actions:
        raise RpcError("SERVER_ERROR: NOT_FOUND")
    return [_tp_action(a) for a in state.actions[actions_id]]


@method(APIER_V2, "GetActions", V2_GET_ACTIONS)
def get_actions_v2(state, args):
    ids = args["ActionIDs"] or sorted(state.actions)
    if not ids:
        return None
    offset = min(max(args["Offset"], 0), len(ids))
    ids = ids[offset:offset + args["Limit"]] if args["Limit"] else ids[offset:]
    if any(i not in state.actions for i in ids):
        raise RpcError("SERVER_ERROR: NOT_FOUND")
    return {i: [a.to_json() for a in state.actions[i]] for i in ids}


@method(APIER_V1, "RemoveActions", REMOVE_ACTIONS)
def remove_actions(state, args):
    if args["ActionIDs"] is None:
        raise RpcError("NOT_FOUND")
    for actions_id in args["ActionIDs"]:
        state.actions.pop(actions_id, None)
    return "OK"


@method(APIER_V1, "ExecuteAction", EXECUTE_ACTION)
def execute_action(state, args):
    """Run a stored Actions set now; the account is created if missing (master behaviour)."""
    if args["ActionsId"] not in state.actions:
        raise RpcError("NOT_FOUND")
    accounts = [account_id(state, args)] if args["Account"] else []
    if not run_actions(state, state.actions[args["ActionsId"]], accounts):
        raise RpcError("PARTIALLY_EXECUTED")
    return "OK"


@method(APIER_V1, "SetActionPlan", SET_ACTION_PLAN)
def set_action_plan(state, args):
    require(args, "Id", "ActionPlan")
    for item in args["ActionPlan"]:
        missing = missing_fields(item, ["ActionsId", "Time"])
        if missing:
            raise RpcError(f"MANDATORY_IE_MISSING:Action:{item['ActionsId']}:[{' '.join(missing)}]")
    previous = state.action_plans.get(args["Id"])
    if previous is not None and not args["Overwrite"]:
        raise RpcError("EXISTS")
    now = state.clock.now()
    timings = []
    for item in args["ActionPlan"]:
        if item["ActionsId"] not in state.actions:
            raise RpcError(f"BROKEN_REFERENCE:{item['ActionsId']}")
        timings.append(scheduler.ActionTiming(new_uuid(), scheduler.timing_from_request(item, now),
                                              item["ActionsId"], item["Weight"]))
    state.action_plans[args["Id"]] = scheduler.ActionPlan(args["Id"], timings)
    for acc_id in (previous.AccountIDs or {}) if previous else {}:  # an overwrite drops the accounts
        state.account_plans[acc_id] = [p for p in state.account_plans.get(acc_id, []) if p != args["Id"]]
    if args["ReloadScheduler"]:
        if not state.config.scheduler_running:
            raise RpcError("SCHEDULER_NOT_RUNNING")
        scheduler.reload(state)
    return "OK"


@method(APIER_V1, "GetActionPlan", GET_ACTION_PLAN)
def get_action_plan(state, args):
    if args["ID"] in ("", "*"):
        return [state.action_plans[p].to_json() for p in sorted(state.action_plans)]
    if args["ID"] not in state.action_plans:
        raise RpcError("NOT_FOUND")
    return [state.action_plans[args["ID"]].to_json()]


@method(APIER_V1, "GetActionPlanIDs", PAGINATOR)
def get_action_plan_ids(state, args):
    ids = sorted(state.action_plans)
    if not ids:
        raise RpcError("NOT_FOUND")
    offset = args["Offset"] or 0
    ids = ids[offset:]
    return ids[:args["Limit"]] if args["Limit"] is not None else ids


@method(APIER_V1, "RemoveActionPlan", GET_ACTION_PLAN)
def remove_action_plan(state, args):
    """OK even when absent; detaches the accounts but does not reload the scheduler."""
    require(args, "ID")
    plan = state.action_plans.pop(args["ID"], None)
    for acc_id in (plan.AccountIDs or {}) if plan else {}:
        state.account_plans[acc_id] = [p for p in state.account_plans.get(acc_id, []) if p != args["ID"]]
    return "OK"


@method(APIER_V1, "GetAccountActionPlan", TENANT_ACCOUNT)
def get_account_action_plan(state, args):
    if not args["Account"]:
        raise RpcError("MANDATORY_IE_MISSING: [Account ]")  # sic, CGRateS has the trailing space
    now = state.clock.now()
    return [{"ActionPlanId": plan_id, "Uuid": t.Uuid, "ActionsId": t.ActionsID,
             "NextExecTime": format_time(scheduler.next_run(t.Timing, now))}
            for plan_id in state.account_plans.get(account_id(state, args), [])
            for t in state.action_plans[plan_id].ActionTimings]


@method(APIER_V1, "GetScheduledActions", SCHEDULED_ACTIONS)
def get_scheduled_actions(state, args):
    try:
        for key in ("TimeStart", "TimeEnd"):
            args[key] = None if args[key] is None else parse_rfc3339(args[key])
    except GoError as exc:
        raise RpcError(str(exc)) from None
    return scheduler.scheduled_actions(state, args)


@method(("SchedulerSv1",), "Reload", ANY)
def reload_scheduler(state, _args):
    scheduler.reload(state)
    return "OK"


def _cache_ok(_state, _args):
    """Caches are not simulated: every Set*/Remove* above is visible at once."""
    return "OK"


for _name in ("ReloadCache", "LoadCache", "Clear"):
    method(("CacheSv1",), _name, ANY)(_cache_ok)


@method((*APIER_V1, "CoreSv1"), "Ping", ANY)
def ping(_state, _args):
    return "Pong"


# Action triggers --------------------------------------------------------------------------
def _trigger_time(state, value):
    return parse_time(as_string(value), state.clock.tz, state.clock.now())


def _min_sleep(value):
    text = as_string(value)
    return int(text) if text.lstrip("-").isdigit() else parse_duration(text)


_TRIGGER_FIELDS = {
    "ThresholdType": lambda s, t, v: setattr(t, "ThresholdType", as_string(v)),
    "ThresholdValue": lambda s, t, v: setattr(t, "ThresholdValue", as_float(v)),
    "Recurrent": lambda s, t, v: setattr(t, "Recurrent", as_bool(v)),
    "Executed": lambda s, t, v: setattr(t, "Executed", as_bool(v)),
    "MinSleep": lambda s, t, v: setattr(t, "MinSleep", _min_sleep(v)),
    "ExpirationDate": lambda s, t, v: setattr(t, "ExpirationDate", _trigger_time(s, v)),
    "ActivationDate": lambda s, t, v: setattr(t, "ActivationDate", _trigger_time(s, v)),
    "BalanceID": lambda s, t, v: setattr(t.Balance, "ID", as_string(v)),
    "BalanceType": lambda s, t, v: setattr(t.Balance, "Type", as_string(v)),
    "BalanceWeight": lambda s, t, v: setattr(t.Balance, "Weight", as_float(v)),
    "BalanceDestinationIds": lambda s, t, v: setattr(t.Balance, "DestinationIDs", {d: True for d in v or []}),
    "BalanceRatingSubject": lambda s, t, v: setattr(t.Balance, "RatingSubject", as_string(v)),
    "BalanceCategories": lambda s, t, v: setattr(t.Balance, "Categories", {c: True for c in v or []}),
    "BalanceBlocker": lambda s, t, v: setattr(t.Balance, "Blocker", as_bool(v)),
    "BalanceDisabled": lambda s, t, v: setattr(t.Balance, "Disabled", as_bool(v)),
    "MinQueuedItems": lambda s, t, v: setattr(t, "MinQueuedItems", int(as_float(v))),
    "ActionsID": lambda s, t, v: setattr(t, "ActionsID", as_string(v)),
    "Weight": lambda s, t, v: setattr(t, "Weight", as_float(v)),
}


@method(APIER_V1, "SetActionTrigger", SET_ACTION_TRIGGER)
def set_action_trigger(state, args):
    """Create or update (by UniqueID) a trigger of group GroupID; accounts keep their copies."""
    require(args, "GroupID")
    fields = args["ActionTrigger"] or {}
    group = state.trigger_groups.setdefault(args["GroupID"], [])
    trigger = next((t for t in group if args["UniqueID"] and t.UniqueID == args["UniqueID"]), None)
    if trigger is None:
        missing = [key for key in ("ThresholdType", "ThresholdValue") if key not in fields]
        if missing:
            raise RpcError(f"MANDATORY_IE_MISSING: [{' '.join(missing)}]")
        trigger = ActionTrigger(ID=args["GroupID"], UniqueID=args["UniqueID"] or new_uuid())
        group.append(trigger)
    try:
        for key, value in fields.items():
            if key in _TRIGGER_FIELDS:
                _TRIGGER_FIELDS[key](state, trigger, value)
    except GoError as exc:
        raise RpcError(str(exc)) from None
    return "OK"


@method(APIER_V1, "GetActionTriggers", GET_ACTION_TRIGGERS)
def get_action_triggers(state, args):
    groups = args["GroupIDs"] or sorted(state.trigger_groups)
    triggers = [t.to_json() for g in groups for t in state.trigger_groups.get(g, [])]
    if not triggers:
        raise RpcError("NOT_FOUND")
    return triggers


@method(APIER_V1, "GetAccountActionTriggers", TENANT_ACCOUNT)
def get_account_action_triggers(state, args):
    require(args, "Account")
    account = state.accounts.get(account_id(state, args))
    if account is None:
        raise RpcError("SERVER_ERROR: NOT_FOUND")
    return [t.to_json() for t in account.ActionTriggers or []]


@method(APIER_V1, "ResetAccountActionTriggers", RESET_TRIGGERS)
def reset_account_action_triggers(state, args):
    """Set Executed on the matching triggers; with Executed=false they are re-evaluated at once."""
    require(args, "Account")
    stored = state.accounts.get(account_id(state, args))
    if stored is None:
        raise RpcError("NOT_FOUND")
    account = stored.clone()
    for trigger in account.ActionTriggers or []:
        if args["GroupID"] in ("", trigger.ID) and args["UniqueID"] in ("", trigger.UniqueID):
            trigger.Executed = args["Executed"]
    if not args["Executed"]:
        evaluate_triggers(state, account, set(), state.clock.now())
    state.save_account(account)
    return "OK"
