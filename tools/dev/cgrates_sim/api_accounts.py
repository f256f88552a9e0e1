"""Accounts and balances: SetAccount, GetAccount(s), RemoveAccount, Add/Debit/Set/RemoveBalance(s).

Semantics and error strings follow CONTRACT.md §6.1-§6.5.
"""
import copy
import json

from . import scheduler
from .actions import Action, run_actions
from .gojson import ANY, BOOL, FLOAT, INT, STRING, ListOf, MapOf, Ptr, RpcError, Struct, require
from .gotime import GoError
from .model import Account, BalanceFilter
from .rpc import APIER_V1, APIER_V1_ONLY, APIER_V2, method

ATTR_SET_ACCOUNT_V2 = Struct(
    "engine.AttrSetAccount", ("Tenant", STRING), ("Account", STRING), ("ActionPlanIDs", ListOf(STRING)),
    ("ActionPlansOverwrite", BOOL), ("ActionTriggerIDs", ListOf(STRING)), ("ActionTriggerOverwrite", BOOL),
    ("ExtraOptions", MapOf(BOOL)), ("ReloadScheduler", BOOL))
ATTR_SET_ACCOUNT_V1 = Struct(
    "utils.AttrSetAccount", ("Tenant", STRING), ("Account", STRING), ("ActionPlanID", STRING),
    ("ActionTriggersID", STRING), ("ExtraOptions", MapOf(BOOL)), ("ReloadScheduler", BOOL))
ATTR_GET_ACCOUNT = Struct("utils.AttrGetAccount", ("Tenant", STRING), ("Account", STRING))
ATTR_GET_ACCOUNTS = Struct(
    "utils.AttrGetAccounts", ("Tenant", STRING), ("AccountIDs", ListOf(STRING)), ("Offset", INT),
    ("Limit", INT), ("Filter", MapOf(BOOL)))
ATTR_REMOVE_ACCOUNT = Struct(
    "utils.AttrRemoveAccount", ("Tenant", STRING), ("Account", STRING), ("ReloadScheduler", BOOL))
ATTR_ADD_BALANCE = Struct(
    "v1.AttrAddBalance", ("Tenant", STRING), ("Account", STRING), ("BalanceType", STRING), ("Value", FLOAT),
    ("Balance", MapOf(ANY)), ("ActionExtraData", Ptr(MapOf(ANY))), ("Overwrite", BOOL), ("Cdrlog", BOOL))
ATTR_SET_BALANCE = Struct(
    "utils.AttrSetBalance", ("Tenant", STRING), ("Account", STRING), ("BalanceType", STRING),
    ("Value", FLOAT), ("Balance", MapOf(ANY)), ("ActionExtraData", Ptr(MapOf(ANY))), ("Cdrlog", BOOL))
ATTR_BALANCE = Struct(
    "utils.AttrBalance", ("BalanceType", STRING), ("Value", FLOAT), ("Balance", MapOf(ANY)),
    ("ActionExtraData", Ptr(MapOf(ANY))), ("Cdrlog", BOOL))
ATTR_SET_BALANCES = Struct(
    "utils.AttrSetBalances", ("Tenant", STRING), ("Account", STRING), ("Balances", ListOf(ATTR_BALANCE)))


def account_id(state, args):
    return f"{state.tenant(args['Tenant'])}:{args['Account']}"


def _plan_copy(plan):
    return scheduler.ActionPlan(plan.Id, plan.ActionTimings, dict(plan.AccountIDs or {}))


def _reload_if(state, wanted):
    if wanted:
        if not state.config.scheduler_running:
            raise RpcError("SCHEDULER_NOT_RUNNING")
        scheduler.reload(state)


@method(APIER_V2, "SetAccount", ATTR_SET_ACCOUNT_V2)
def set_account_v2(state, args):
    """Upsert; attach plans (*asap-only plans queue tasks instead); apply present ExtraOptions."""
    require(args, "Account")
    acc_id = account_id(state, args)
    stored = state.accounts.get(acc_id)
    account = stored.clone() if stored else Account(ID=acc_id)
    reload_needed = _attach_plans(state, acc_id, args["ActionPlanIDs"] or [], args["ActionPlansOverwrite"])
    if args["ActionTriggerOverwrite"]:
        account.ActionTriggers = []
    for group_id in args["ActionTriggerIDs"] or []:
        _attach_trigger_group(state, account, group_id)
    for option in ("AllowNegative", "Disabled"):
        if option in (args["ExtraOptions"] or {}):
            setattr(account, option, args["ExtraOptions"][option])
    state.save_account(account)
    _reload_if(state, args["ReloadScheduler"] and reload_needed)
    return "OK"


def _attach_plans(state, acc_id, wanted, overwrite):
    """Detach (overwrite) and attach plans, queue *asap tasks; plans are saved only when every ID
    exists. Returns whether the scheduler needs a reload."""
    attached = list(state.account_plans.get(acc_id, []))
    dirty = {}
    if overwrite:
        for plan_id in [p for p in attached if p not in wanted]:
            if plan_id not in state.action_plans:
                raise RpcError("SERVER_ERROR: NOT_FOUND")
            dirty[plan_id] = _plan_copy(state.action_plans[plan_id])
            dirty[plan_id].AccountIDs.pop(acc_id, None)
            attached.remove(plan_id)
    reload_needed = False
    for plan_id in wanted:
        plan = dirty.get(plan_id) or state.action_plans.get(plan_id)
        if plan is None:
            raise RpcError("SERVER_ERROR: NOT_FOUND")
        asap = [t for t in plan.ActionTimings if t.is_asap]
        state.tasks.extend((acc_id, t.ActionsID) for t in asap)
        reload_needed = reload_needed or bool(asap)
        if len(asap) == len(plan.ActionTimings) or plan_id in attached:
            continue
        dirty[plan_id] = _plan_copy(plan)
        dirty[plan_id].AccountIDs[acc_id] = True
        attached.append(plan_id)
    state.action_plans.update(dirty)
    state.account_plans[acc_id] = attached
    return reload_needed or bool(dirty)


def _attach_trigger_group(state, account, group_id):
    group = state.trigger_groups.get(group_id)
    if not group:
        raise RpcError("SERVER_ERROR: NOT_FOUND")
    present = {(t.ID, t.UniqueID) for t in account.ActionTriggers or []}
    account.ActionTriggers = (account.ActionTriggers or []) + [
        copy.copy(t) for t in group if (t.ID, t.UniqueID) not in present]


@method(APIER_V1_ONLY, "SetAccount", ATTR_SET_ACCOUNT_V1)
def set_account_v1(state, args):
    """The v1 form: one ActionPlanID (detaching all others) and one ActionTriggersID group."""
    require(args, "Account")
    acc_id = account_id(state, args)
    stored = state.accounts.get(acc_id)
    account = stored.clone() if stored else Account(ID=acc_id)
    reload_needed = False
    if args["ActionPlanID"]:
        plan = state.action_plans.get(args["ActionPlanID"])
        if plan is None:
            raise RpcError("SERVER_ERROR: NOT_FOUND")
        for other in state.account_plans.get(acc_id, []):
            (state.action_plans[other].AccountIDs or {}).pop(acc_id, None)
        asap = [t for t in plan.ActionTimings if t.is_asap]
        state.tasks.extend((acc_id, t.ActionsID) for t in asap)
        attach = len(asap) != len(plan.ActionTimings)
        if attach:
            plan.AccountIDs = {**(plan.AccountIDs or {}), acc_id: True}
        state.account_plans[acc_id] = [plan.Id] if attach else []
        reload_needed = True
    if args["ActionTriggersID"]:
        account.ActionTriggers = []
        _attach_trigger_group(state, account, args["ActionTriggersID"])
    for option in ("AllowNegative", "Disabled"):
        if option in (args["ExtraOptions"] or {}):
            setattr(account, option, args["ExtraOptions"][option])
    state.save_account(account)
    _reload_if(state, args["ReloadScheduler"] and reload_needed)
    return "OK"


def _stored_account(state, args):
    account = state.accounts.get(account_id(state, args))
    if account is None:
        raise RpcError("NOT_FOUND")
    return account


@method(APIER_V2, "GetAccount", ATTR_GET_ACCOUNT)
def get_account_v2(state, args):
    return _stored_account(state, args).to_json()


@method(APIER_V1_ONLY, "GetAccount", ATTR_GET_ACCOUNT)
def get_account_v1(state, args):
    return _stored_account(state, args).to_old_json()


@method(APIER_V2, "GetAccounts", ATTR_GET_ACCOUNTS)
def get_accounts(state, args):
    prefix = state.tenant(args["Tenant"]) + ":"
    if args["AccountIDs"]:
        keys = [prefix + name for name in args["AccountIDs"]]
    else:
        keys = sorted(key for key in state.accounts if key.startswith(prefix))
        if not keys:
            return None
    offset = min(max(args["Offset"], 0), len(keys))
    keys = keys[offset:offset + args["Limit"]] if args["Limit"] else keys[offset:]
    flags = args["Filter"] or {}
    return [state.accounts[key].to_json() for key in keys if key in state.accounts
            and all(getattr(state.accounts[key], flag) == flags[flag]
                    for flag in ("AllowNegative", "Disabled") if flag in flags)]


@method(APIER_V1, "RemoveAccount", ATTR_REMOVE_ACCOUNT)
def remove_account(state, args):
    """OK even for an unknown account; the scheduler snapshot is deliberately not touched."""
    require(args, "Account")
    state.delete_account(account_id(state, args))
    return "OK"


def _balance_filter(state, args, balance):
    try:
        bf = BalanceFilter.from_map(balance or {}, args["BalanceType"], state.clock.now(), state.clock.tz)
    except GoError as exc:
        raise RpcError(str(exc)) from None
    if args["Value"] != 0:
        bf.Value = abs(args["Value"])
    return bf


def _cdrlog(args):
    extra = args["ActionExtraData"]
    return Action(Id="", ActionType="*cdrlog", ExtraParameters=json.dumps(extra) if extra else "")


def _execute(state, acc_id, actions):
    if not run_actions(state, actions, [acc_id]):
        raise RpcError("PARTIALLY_EXECUTED")
    return "OK"


def _modify_balance(state, args, action_type):
    """modifyBalance: AddBalance runs *topup (or *topup_reset with Overwrite), plus *cdrlog."""
    require(args, "Account", "BalanceType")
    bf = _balance_filter(state, args, args["Balance"])
    if args["Overwrite"]:
        action_type += "_reset"
    actions = [Action(Id="", ActionType=action_type, Balance=bf)]
    if args["Cdrlog"]:
        actions.append(_cdrlog(args))
    return _execute(state, account_id(state, args), actions)


@method(APIER_V1, "AddBalance", ATTR_ADD_BALANCE)
def add_balance(state, args):
    return _modify_balance(state, args, "*topup")


@method(APIER_V1, "DebitBalance", ATTR_ADD_BALANCE)
def debit_balance(state, args):
    return _modify_balance(state, args, "*debit")


def _set_balance_action(state, args):
    bf = _balance_filter(state, args, args["Balance"])
    if not bf.ID and not bf.Uuid:
        raise RpcError("MANDATORY_IE_MISSING: [BalanceID or BalanceUUID]")
    actions = [Action(Id="", ActionType="*set_balance", Balance=bf)]
    if args["Cdrlog"]:
        actions.append(_cdrlog(args))
    return actions


@method(APIER_V1, "SetBalance", ATTR_SET_BALANCE)
def set_balance(state, args):
    """Sets (not adds) the given fields on one balance, found by UUID or ID, or creates it."""
    require(args, "Account", "BalanceType")
    return _execute(state, account_id(state, args), _set_balance_action(state, args))


@method(APIER_V1, "SetBalances", ATTR_SET_BALANCES)
def set_balances(state, args):
    require(args, "Account", "Balances")
    actions = []
    for item in args["Balances"]:
        require(item, "BalanceType")
        actions += _set_balance_action(state, item)
    return _execute(state, account_id(state, args), actions)


@method(APIER_V1, "RemoveBalances", ATTR_SET_BALANCE)
def remove_balances(state, args):
    require(args, "Account", "BalanceType")
    bf = _balance_filter(state, args, args["Balance"])
    _stored_account(state, args)
    return _execute(state, account_id(state, args), [Action(Id="", ActionType="*remove_balance", Balance=bf)])
