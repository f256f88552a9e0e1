"""Tenant-scoped profiles: AttributeS (§6.14), filters, ThresholdS (§6.16).

Filter profiles are not in CONTRACT.md; they follow the CGRateS master API shape used by the
CRM authors' UI (APIerSv1.Get/Set/RemoveFilter, Rules of {Type, Element, Values}).
"""
from datetime import timedelta

from .actions import run_actions
from .filters import passes, rule_error
from .gojson import (ANY, BOOL, DURATION, FLOAT, INT, STRING, TIME, ListOf, MapOf, Ptr, RpcError, Struct,
                     require)
from .gotime import GoError, format_time, parse_rfc3339
from .rpc import APIER_V1, APIER_V1_ONLY, APIER_V2, method

ACTIVATION = Struct("utils.ActivationInterval", ("ActivationTime", TIME), ("ExpiryTime", TIME))
RSR_PARSER = Struct("config.RSRParser", ("Rules", STRING))
ATTRIBUTE_V1 = Struct("engine.Attribute", ("FilterIDs", ListOf(STRING)), ("Path", STRING),
                      ("Type", STRING), ("Value", ListOf(RSR_PARSER)))
ATTRIBUTE_V2 = Struct("engine.ExternalAttribute", ("FilterIDs", ListOf(STRING)), ("Path", STRING),
                      ("Type", STRING), ("Value", STRING))


def _attribute_profile(attribute_type):
    return Struct("engine.AttributeProfileWithAPIOpts", ("Tenant", STRING), ("ID", STRING),
                  ("Contexts", ListOf(STRING)), ("FilterIDs", ListOf(STRING)),
                  ("ActivationInterval", Ptr(ACTIVATION)), ("Attributes", ListOf(attribute_type)),
                  ("Blocker", BOOL), ("Weight", FLOAT), ("APIOpts", MapOf(ANY)))


TENANT_ID = Struct("utils.TenantIDWithAPIOpts", ("Tenant", STRING), ("ID", STRING), ("APIOpts", MapOf(ANY)))
TENANT_PAGINATOR = Struct("utils.PaginatorWithTenant", ("Tenant", STRING), ("Limit", Ptr(INT)),
                          ("Offset", Ptr(INT)))
FILTER_RULE = Struct("engine.FilterRule", ("Type", STRING), ("Element", STRING), ("Values", ListOf(STRING)))
FILTER = Struct("engine.FilterWithAPIOpts", ("Tenant", STRING), ("ID", STRING), ("Rules", ListOf(FILTER_RULE)),
                ("ActivationInterval", Ptr(ACTIVATION)), ("APIOpts", MapOf(ANY)))
THRESHOLD_PROFILE = Struct(
    "engine.ThresholdProfileWithAPIOpts", ("Tenant", STRING), ("ID", STRING), ("FilterIDs", ListOf(STRING)),
    ("ActivationInterval", Ptr(ACTIVATION)), ("MaxHits", INT), ("MinHits", INT), ("MinSleep", DURATION),
    ("Blocker", BOOL), ("Weight", FLOAT), ("ActionIDs", ListOf(STRING)), ("Async", BOOL),
    ("EeIDs", ListOf(STRING)), ("APIOpts", MapOf(ANY)))
CGR_EVENT = Struct("utils.CGREvent", ("Tenant", STRING), ("ID", STRING), ("Time", Ptr(TIME)),
                   ("Event", MapOf(ANY)), ("APIOpts", MapOf(ANY)))


def _key(state, args):
    return f"{state.tenant(args['Tenant'])}:{args['ID']}"


def _interval(value):
    if value is None:
        return None
    try:
        return {key: format_time(parse_rfc3339(value[key]) if value[key] else None)
                for key in ("ActivationTime", "ExpiryTime")}
    except GoError as exc:
        raise RpcError(str(exc)) from None


def _get(store, state, args):
    require(args, "ID")
    if _key(state, args) not in store:
        raise RpcError("NOT_FOUND")
    return store[_key(state, args)]


def _remove(store, state, args):
    require(args, "ID")
    if store.pop(_key(state, args), None) is None:
        raise RpcError("NOT_FOUND")
    return "OK"


def _ids(store, state, args):
    prefix = state.tenant(args["Tenant"]) + ":"
    ids = sorted(key[len(prefix):] for key in store if key.startswith(prefix))
    if not ids:
        raise RpcError("NOT_FOUND")
    ids = ids[args["Offset"] or 0:]
    return ids[:args["Limit"]] if args["Limit"] is not None else ids


# AttributeS -------------------------------------------------------------------------------
def _store_attribute_profile(state, args, attributes):
    state.attribute_profiles[_key(state, args)] = {
        "Tenant": state.tenant(args["Tenant"]), "ID": args["ID"], "Contexts": args["Contexts"],
        "FilterIDs": args["FilterIDs"], "ActivationInterval": _interval(args["ActivationInterval"]),
        "Attributes": attributes, "Blocker": args["Blocker"], "Weight": args["Weight"]}
    return "OK"


@method(APIER_V1_ONLY, "SetAttributeProfile", _attribute_profile(ATTRIBUTE_V1))
def set_attribute_profile_v1(state, args):
    """v1: each attribute's Value is a list of {"Rules": ...} objects."""
    require(args, "ID", "Attributes")
    for attribute in args["Attributes"]:
        require(attribute, "Path")
        for rule in attribute["Value"] or []:
            require(rule, "Rules")
    return _store_attribute_profile(state, args, args["Attributes"])


@method(APIER_V2, "SetAttributeProfile", _attribute_profile(ATTRIBUTE_V2))
def set_attribute_profile_v2(state, args):
    """v2 (the tutorial form): Value is a string, split on ";" into rules."""
    require(args, "ID", "Attributes")
    attributes = []
    for attribute in args["Attributes"]:
        require(attribute, "Path", "Value")
        attributes.append({**attribute, "Value": [{"Rules": r} for r in attribute["Value"].split(";")]})
    return _store_attribute_profile(state, args, attributes)


@method(APIER_V1, "GetAttributeProfile", TENANT_ID)
def get_attribute_profile(state, args):
    return _get(state.attribute_profiles, state, args)


@method(APIER_V1, "GetAttributeProfileIDs", TENANT_PAGINATOR)
def get_attribute_profile_ids(state, args):
    return _ids(state.attribute_profiles, state, args)


@method(APIER_V1, "RemoveAttributeProfile", TENANT_ID)
def remove_attribute_profile(state, args):
    return _remove(state.attribute_profiles, state, args)


# Filters ----------------------------------------------------------------------------------
@method(APIER_V1, "SetFilter", FILTER)
def set_filter(state, args):
    require(args, "ID")
    for rule in args["Rules"] or []:
        problem = rule_error(rule)
        if problem:
            raise RpcError(f"SERVER_ERROR: {problem}")
    state.filters[_key(state, args)] = {
        "Tenant": state.tenant(args["Tenant"]), "ID": args["ID"], "Rules": args["Rules"],
        "ActivationInterval": _interval(args["ActivationInterval"])}
    return "OK"


@method(APIER_V1, "GetFilter", TENANT_ID)
def get_filter(state, args):
    return _get(state.filters, state, args)


@method(APIER_V1, "GetFilterIDs", TENANT_PAGINATOR)
def get_filter_ids(state, args):
    return _ids(state.filters, state, args)


@method(APIER_V1, "RemoveFilter", TENANT_ID)
def remove_filter(state, args):
    return _remove(state.filters, state, args)


# ThresholdS -------------------------------------------------------------------------------
@method(APIER_V1, "SetThresholdProfile", THRESHOLD_PROFILE)
def set_threshold_profile(state, args):
    """Create or replace; a new profile or changed hit rules reset the threshold's Hits."""
    require(args, "ID")
    key = _key(state, args)
    profile = {name: args[name] for name in ("Tenant", "ID", "FilterIDs", "ActivationInterval", "MaxHits",
                                             "MinHits", "MinSleep", "Blocker", "Weight", "ActionIDs",
                                             "Async", "EeIDs")}
    profile.update(Tenant=state.tenant(args["Tenant"]), ActivationInterval=_interval(args["ActivationInterval"]))
    old = state.threshold_profiles.get(key)
    if old is None or any(old[k] != profile[k] for k in ("MaxHits", "MinHits", "MinSleep")):
        state.thresholds[key] = {"Tenant": profile["Tenant"], "ID": args["ID"], "Hits": 0, "Snooze": None}
    state.threshold_profiles[key] = profile
    return "OK"


@method(APIER_V1, "GetThresholdProfile", TENANT_ID)
def get_threshold_profile(state, args):
    return _get(state.threshold_profiles, state, args)


@method(APIER_V1, "GetThresholdProfileIDs", TENANT_PAGINATOR)
def get_threshold_profile_ids(state, args):
    return _ids(state.threshold_profiles, state, args)


@method(APIER_V1, "RemoveThresholdProfile", TENANT_ID)
def remove_threshold_profile(state, args):
    state.thresholds.pop(_key(state, args), None)
    return _remove(state.threshold_profiles, state, args)


@method(("ThresholdSv1",), "GetThreshold", TENANT_ID)
def get_threshold(state, args):
    threshold = _get(state.thresholds, state, args)
    return {**threshold, "Snooze": format_time(threshold["Snooze"])}


@method(("ThresholdSv1",), "GetThresholdIDs", TENANT_ID)
def get_threshold_ids(state, args):
    prefix = state.tenant(args["Tenant"]) + ":"
    return sorted(key[len(prefix):] for key in state.thresholds if key.startswith(prefix))


@method(("ThresholdSv1",), "ResetThreshold", TENANT_ID)
def reset_threshold(state, args):
    threshold = _get(state.thresholds, state, args)
    threshold.update(Hits=0, Snooze=None)
    return "OK"


def _active(profile, now):
    interval = profile["ActivationInterval"]
    if interval is None:
        return True
    start, end = (parse_rfc3339(interval[k]) if not interval[k].startswith("0001") else None
                  for k in ("ActivationTime", "ExpiryTime"))
    return (start is None or start <= now) and (end is None or now < end)


@method(("ThresholdSv1",), "ProcessEvent", CGR_EVENT)
def process_event(state, args):
    """Matching thresholds count a hit; within the hit rules they run ActionIDs on Event.Account."""
    require(args, "ID", "Event")
    tenant, now = state.tenant(args["Tenant"]), state.clock.now()
    data = {"*req": args["Event"], "*opts": args["APIOpts"] or {}}
    matched = [p for key, p in state.threshold_profiles.items()
               if p["Tenant"] == tenant and key in state.thresholds and _active(p, now)
               and passes(state, p["FilterIDs"] or [], tenant, data)]
    if not matched:
        raise RpcError("NOT_FOUND")
    hit_ids = []
    for profile in sorted(matched, key=lambda p: -p["Weight"]):
        key = f"{tenant}:{profile['ID']}"
        threshold = state.thresholds[key]
        threshold["Hits"] += 1
        hit_ids.append(profile["ID"])
        snoozed = threshold["Snooze"] is not None and threshold["Snooze"] > now
        if not snoozed and threshold["Hits"] >= profile["MinHits"] and \
                (profile["MaxHits"] == -1 or threshold["Hits"] <= profile["MaxHits"]):
            account = args["Event"].get("Account")
            for actions_id in profile["ActionIDs"] or []:
                run_actions(state, state.actions.get(actions_id, []), [f"{tenant}:{account}"] if account else [])
        if threshold["Hits"] == profile["MaxHits"]:
            del state.thresholds[key]  # a one-time threshold stops matching
        else:
            threshold["Snooze"] = now + timedelta(microseconds=profile["MinSleep"] / 1000)
        if profile["Blocker"]:
            break
    return hit_ids
