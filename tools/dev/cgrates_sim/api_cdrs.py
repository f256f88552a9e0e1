"""CDRs (CONTRACT.md §6.15) with the simplified usage debit of §10.2, and active sessions.

Rating is out of scope: for *prepaid/*postpaid/*pseudoprepaid CDRs the usage is taken from the
account's unit balances of the CDR's ToR (highest Weight first); Cost is 0 when units covered
everything, otherwise -1 with ExtraInfo INSUFFICIENT_CREDIT. Sessions exist only when a test
adds them with Simulator.AddSession (SessionS is not simulated).
"""
import hashlib

from .actions import evaluate_triggers
from .filters import passes
from .gojson import ANY, BOOL, FLOAT, INT, STRING, ListOf, MapOf, Ptr, RpcError, Struct
from .gotime import ZERO_TIME, GoError, format_duration, format_time, parse_duration, parse_time
from .rpc import APIER_V2, method

DEBIT_REQUEST_TYPES = ("*prepaid", "*postpaid", "*pseudoprepaid")
CDRS = ("CDRsV1", "CDRsV2")

EXTERNAL_CDR = Struct(
    "engine.ExternalCDRWithAPIOpts", ("CGRID", STRING), ("RunID", STRING), ("OrderID", INT),
    ("OriginHost", STRING), ("Source", STRING), ("OriginID", STRING), ("ToR", STRING), ("RequestType", STRING),
    ("Tenant", STRING), ("Category", STRING), ("Account", STRING), ("Subject", STRING),
    ("Destination", STRING), ("SetupTime", STRING), ("AnswerTime", STRING), ("Usage", STRING),
    ("ExtraFields", MapOf(STRING)), ("CostSource", STRING), ("Cost", FLOAT), ("CostDetails", STRING),
    ("ExtraInfo", STRING), ("PreRated", BOOL), ("APIOpts", MapOf(ANY)))
_LIST_FILTERS = {"CGRIDs": "CGRID", "RunIDs": "RunID", "OriginIDs": "OriginID", "OriginHosts": "OriginHost",
                 "Sources": "Source", "ToRs": "ToR", "RequestTypes": "RequestType", "Tenants": "Tenant",
                 "Categories": "Category", "Accounts": "Account", "Subjects": "Subject"}
_TIME_FILTERS = ("SetupTime", "AnswerTime", "CreatedAt", "UpdatedAt")
CDR_FILTER = Struct(
    "utils.RPCCDRsFilterWithAPIOpts",
    *[(name, ListOf(STRING)) for plural in _LIST_FILTERS for name in (plural, "Not" + plural)],
    ("DestinationPrefixes", ListOf(STRING)), ("NotDestinationPrefixes", ListOf(STRING)),
    ("Costs", ListOf(FLOAT)), ("NotCosts", ListOf(FLOAT)),
    ("ExtraFields", MapOf(STRING)), ("NotExtraFields", MapOf(STRING)),
    *[(f"{field}{edge}", STRING) for field in _TIME_FILTERS for edge in ("Start", "End")],
    ("MinUsage", STRING), ("MaxUsage", STRING), ("OrderBy", STRING), ("ExtraArgs", MapOf(ANY)),
    ("Limit", Ptr(INT)), ("Offset", Ptr(INT)), ("Tenant", STRING), ("APIOpts", MapOf(ANY)))
SESSION_FILTER = Struct("utils.SessionFilter", ("Limit", Ptr(INT)), ("Filters", ListOf(STRING)),
                        ("Tenant", STRING), ("APIOpts", MapOf(ANY)))


def usage_ns(text):
    """utils.ParseDurationWithNanosecs: "" is 0, a bare number is nanoseconds/units."""
    if not text:
        return 0
    if text.lstrip("-").isdigit():
        return int(text)
    return parse_duration(text)


def _time(state, text):
    return parse_time(text, state.clock.tz, state.clock.now())


def _eligible(balance, cdr, at):
    destinations = balance.DestinationIDs or {}
    return (not balance.Disabled and not balance.expired_at(at)
            and (balance.Value > 0 or balance.Blocker)
            and (not balance.Categories or balance.Categories.get(cdr["Category"], False))
            and (not destinations or destinations.get("*any", False)))


def debit_usage(state, cdr):
    """The allowed simplification of RALs: units only, no monetary pricing. Returns (Cost, ExtraInfo)."""
    stored = state.accounts.get(f"{cdr['Tenant']}:{cdr['Account']}")
    if stored is None:
        return -1.0, "ACCOUNT_NOT_FOUND"
    if stored.Disabled:
        return -1.0, "ACCOUNT_DISABLED"
    account, now = stored.clone(), state.clock.now()
    at = cdr["AnswerTime"] or now
    remaining, dirty = cdr["Usage"], set()
    for balance in sorted((b for b in account.balances(cdr["ToR"]) if _eligible(b, cdr, at)),
                          key=lambda b: -b.Weight):
        if remaining <= 0:
            break
        taken = min(remaining, max(balance.Value, 0))
        if taken:
            balance.set_value(balance.Value - taken)
            remaining -= taken
            dirty.add(balance.Uuid)
        if balance.Blocker and remaining > 0:
            break
    evaluate_triggers(state, account, dirty, now)
    account.clean_expired(now)
    state.save_account(account)
    return (0.0, "") if remaining <= 0 else (-1.0, "INSUFFICIENT_CREDIT")


@method(CDRS, "ProcessExternalCDR", EXTERNAL_CDR)
def process_external_cdr(state, args):
    cgrid = args["CGRID"] or hashlib.sha1((args["OriginID"] + args["OriginHost"]).encode()).hexdigest()
    run_id = args["RunID"] or "*default"
    if f"{cgrid}:{run_id}" in state.cdr_keys:
        raise RpcError("EXISTS")
    try:
        setup, answer, usage = (_time(state, args["SetupTime"]), _time(state, args["AnswerTime"]),
                                usage_ns(args["Usage"]))
    except GoError as exc:
        raise RpcError(str(exc)) from None
    cdr = {"CGRID": cgrid, "RunID": run_id, "OrderID": 0, "OriginHost": args["OriginHost"],
           "Source": args["Source"], "OriginID": args["OriginID"], "ToR": args["ToR"],
           "RequestType": args["RequestType"] or "*rated", "Tenant": state.tenant(args["Tenant"]),
           "Category": args["Category"] or "call", "Account": args["Account"],
           "Subject": args["Subject"] or args["Account"], "Destination": args["Destination"],
           "SetupTime": setup, "AnswerTime": answer, "Usage": usage, "ExtraFields": args["ExtraFields"] or {},
           "ExtraInfo": args["ExtraInfo"], "Partial": False, "PreRated": args["PreRated"],
           "CostSource": args["CostSource"], "Cost": args["Cost"], "CostDetails": None}
    if not cdr["PreRated"] and cdr["RequestType"] != "*none":
        cdr["CostSource"] = "*cdrs"
        if cdr["RequestType"] in DEBIT_REQUEST_TYPES:
            cdr["Cost"], cdr["ExtraInfo"] = debit_usage(state, cdr)
        else:  # *rated needs RALs pricing, which the simulator does not have
            cdr["Cost"], cdr["ExtraInfo"] = -1.0, "NOT_CONNECTED: RALs"
    state.store_cdr(cdr)
    return "OK"


def _in_window(state, args, field, moment):
    start, end = args[field + "Start"], args[field + "End"]
    return (not start or (moment is not None and moment >= _time(state, start))) and \
        (not end or (moment is not None and moment < _time(state, end)))


def _listed(args, cdr):
    for plural, field in _LIST_FILTERS.items():
        if (args[plural] and cdr[field] not in args[plural]) or cdr[field] in (args["Not" + plural] or []):
            return False
    destination = cdr["Destination"]
    if args["DestinationPrefixes"] and not any(destination.startswith(p) for p in args["DestinationPrefixes"]):
        return False
    if any(destination.startswith(p) for p in args["NotDestinationPrefixes"] or []):
        return False
    return not ((args["Costs"] and cdr["Cost"] not in args["Costs"]) or cdr["Cost"] in (args["NotCosts"] or []))


def _matches(state, args, cdr, stored_at):
    if not _listed(args, cdr):
        return False
    extra = cdr["ExtraFields"]
    if any(extra.get(k) != v for k, v in (args["ExtraFields"] or {}).items()):
        return False
    if any(extra.get(k) == v for k, v in (args["NotExtraFields"] or {}).items()):
        return False
    moments = {"SetupTime": cdr["SetupTime"], "AnswerTime": cdr["AnswerTime"],
               "CreatedAt": stored_at, "UpdatedAt": stored_at}
    if not all(_in_window(state, args, field, moments[field]) for field in _TIME_FILTERS):
        return False
    if args["MinUsage"] and cdr["Usage"] < usage_ns(args["MinUsage"]):
        return False
    if args["MaxUsage"] and cdr["Usage"] >= usage_ns(args["MaxUsage"]):
        return False
    bounds = args["ExtraArgs"] or {}
    checks = (("OrderIDStart", "OrderID", 1), ("OrderIDEnd", "OrderID", -1),
              ("MinCost", "Cost", 1), ("MaxCost", "Cost", -1))
    return all(name not in bounds or (cdr[key] >= float(bounds[name]) if sign > 0 else cdr[key] < float(bounds[name]))
               for name, key, sign in checks)


def _select(state, args):
    try:
        found = [cdr for cdr, stored_at in state.cdrs if _matches(state, args, cdr, stored_at)]
    except (GoError, ValueError) as exc:
        raise RpcError(f"SERVER_ERROR: {exc}") from None
    if args["OrderBy"]:
        field, _, direction = args["OrderBy"].partition(";")
        if field not in ("OrderID", "AnswerTime", "SetupTime", "Usage", "Cost") or direction not in ("", "desc"):
            raise RpcError(f"SERVER_ERROR: Invalid value : {args['OrderBy']}")
        found.sort(key=lambda cdr: (cdr[field] is not None, cdr[field]), reverse=direction == "desc")
    found = found[args["Offset"] or 0:]
    return found[:args["Limit"]] if args["Limit"] is not None else found


def _cdr_json(cdr):
    return {**cdr, "SetupTime": cdr["SetupTime"] or ZERO_TIME, "AnswerTime": cdr["AnswerTime"] or ZERO_TIME}


@method(CDRS, "GetCDRs", CDR_FILTER)
def get_cdrs(state, args):
    """engine.CDR objects, Usage an integer; no match is SERVER_ERROR: NOT_FOUND."""
    found = _select(state, args)
    if not found:
        raise RpcError("SERVER_ERROR: NOT_FOUND")
    return [_cdr_json(cdr) for cdr in found]


@method(CDRS, "GetCDRsCount", CDR_FILTER)
def get_cdrs_count(state, args):
    return len(_select(state, {**args, "Limit": None, "Offset": None}))


def _external_cdr(cdr):
    """CDR.AsExternalCDR: RFC3339 times, Usage as a string, CostDetails as JSON text."""
    units = cdr["ToR"] in ("*data", "*sms", "*mms", "*generic")
    return {key: cdr[key] for key in ("CGRID", "RunID", "OrderID", "OriginHost", "Source", "OriginID", "ToR",
                                      "RequestType", "Tenant", "Category", "Account", "Subject", "Destination")} | {
        "SetupTime": format_time(cdr["SetupTime"] and cdr["SetupTime"].replace(microsecond=0)),
        "AnswerTime": format_time(cdr["AnswerTime"] and cdr["AnswerTime"].replace(microsecond=0)),
        "Usage": str(cdr["Usage"]) if units else format_duration(cdr["Usage"]),
        "ExtraFields": cdr["ExtraFields"], "CostSource": cdr["CostSource"], "Cost": cdr["Cost"],
        "CostDetails": "null", "ExtraInfo": cdr["ExtraInfo"], "PreRated": cdr["PreRated"]}


@method(APIER_V2, "GetCDRs", CDR_FILTER)
def get_external_cdrs(state, args):
    found = _select(state, args)
    if not found:
        raise RpcError("NOT_FOUND")
    return [_external_cdr(cdr) for cdr in found]


# Sessions ---------------------------------------------------------------------------------
def _sessions(state, args):
    tenant = args["Tenant"]
    found = [s for s in state.sessions if (not tenant or s["Tenant"] == tenant)
             and passes(state, args["Filters"] or [], s["Tenant"], {"*req": s})]
    return found[:args["Limit"]] if args["Limit"] is not None else found


@method(("SessionSv1",), "GetActiveSessions", SESSION_FILTER)
def get_active_sessions(state, args):
    found = _sessions(state, args)
    if not found:
        raise RpcError("NOT_FOUND")
    return found


@method(("SessionSv1",), "GetActiveSessionsCount", SESSION_FILTER)
def get_active_sessions_count(state, args):
    return len(_sessions(state, args))


def new_session(state, fields):
    """An ExternalSession with CGRateS defaults, for Simulator.AddSession."""
    now = state.clock.now()
    origin_id = str(fields.get("OriginID", ""))
    session = {"CGRID": hashlib.sha1((origin_id + str(fields.get("OriginHost", ""))).encode()).hexdigest(),
               "RunID": "*default", "OriginHost": "", "Source": "", "OriginID": origin_id, "ToR": "*voice",
               "RequestType": "*prepaid", "Tenant": state.config.default_tenant, "Category": "call",
               "Account": "", "Subject": "", "Destination": "", "SetupTime": now, "AnswerTime": now,
               "Usage": 0, "ExtraFields": {}, "NodeID": "cgrates-sim", "LoopIndex": 0, "DurationIndex": 0,
               "MaxRate": 0, "MaxRateUnit": 0, "MaxCostSoFar": 0, "DebitInterval": 0,
               "NextAutoDebit": ZERO_TIME}
    session.update({key: value for key, value in fields.items() if key in session})
    session["Subject"] = session["Subject"] or session["Account"]
    return session
