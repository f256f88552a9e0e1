"""ActionPlans and SchedulerS (CONTRACT.md §6.8-§6.11).

Keyword timings are anchored on the clock when SetActionPlan runs. The scheduler queue is
a snapshot rebuilt only on reload, with each timing's account list copied at that moment,
so RemoveActionPlan/RemoveAccount keep firing until the next reload, as in CGRateS.
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from .actions import known_action_types, run_actions
from .gojson import RpcError
from .gotime import GoError, last_day, parse_duration

_KEYWORDS = ("*asap", "*every_minute", "*hourly", "*daily", "*weekly", "*monthly",
             "*monthly_estimated", "*month_end", "*yearly")
_FIRING_LIMIT = 100_000


@dataclass
class ActionTiming:
    Uuid: str
    Timing: dict  # RITiming: ID, Years, Months, MonthDays, WeekDays, StartTime, EndTime
    ActionsID: str
    Weight: float

    @property
    def is_asap(self):
        return self.Timing["StartTime"] == "*asap"

    def to_json(self):
        return {"Uuid": self.Uuid, "Timing": {"Timing": self.Timing, "Rating": None, "Weight": 0},
                "ActionsID": self.ActionsID, "ExtraData": None, "Weight": self.Weight}


@dataclass
class ActionPlan:
    Id: str
    ActionTimings: list
    AccountIDs: dict = None  # nil until an account is first attached

    def to_json(self):
        return {"Id": self.Id, "AccountIDs": self.AccountIDs,
                "ActionTimings": [t.to_json() for t in self.ActionTimings]}


@dataclass
class QueuedTiming:
    """One scheduler queue entry: a timing plus the account list copied at reload."""

    plan_id: str
    timing: ActionTiming
    account_ids: list
    next_run: datetime
    one_shot: bool = False


def _int_list(text):
    """utils.Years/Months/... Parse: ';'-separated integers, "" or "*any" = any."""
    if text in ("", "*any"):
        return []
    return [int(part) for part in text.split(";") if re.fullmatch(r"[+-]?\d+", part.strip())]


def _timing(identifier, start_time, years=(), months=(), month_days=(), week_days=()):
    return {"ID": identifier, "Years": list(years), "Months": list(months), "MonthDays": list(month_days),
            "WeekDays": list(week_days), "StartTime": start_time, "EndTime": ""}


def _atoi(text):
    return re.fullmatch(r"[+-]?\d+", text) is not None


def timing_from_request(item, now):
    """AttrActionPlan.GetRITiming: keyword timings, "+<duration>" one-shots, or HH:MM:SS."""
    time_text = item["Time"]
    weekday = (now.weekday() + 1) % 7  # Go: Sunday = 0
    clock = now.strftime("%H:%M:%S")
    keyword_timings = {
        "*asap": _timing("*asap", "*asap"),
        "*every_minute": _timing("*every_minute", f"*:*:{now.second}"),
        "*hourly": _timing("*hourly", f"*:{now.minute}:{now.second}"),
        "*daily": _timing("*daily", clock),
        "*weekly": _timing("*weekly", clock, week_days=[weekday]),
        "*monthly": _timing("*monthly", clock, month_days=[now.day]),
        "*monthly_estimated": _timing("*monthly_estimated", clock, month_days=[now.day]),
        "*month_end": _timing("*month_end", clock, month_days=[-1]),
        "*yearly": _timing("*yearly", clock, months=[now.month], month_days=[now.day]),
    }
    if time_text in keyword_timings:
        return keyword_timings[time_text]
    if time_text.startswith("+"):
        try:
            parse_duration(time_text[1:])
        except GoError:
            raise RpcError(f"UNSUPPORTED_FORMAT:{time_text}") from None
        return _timing("", time_text)
    parts = time_text.split(":")
    if len(time_text) > 8 or len(parts) != 3 or not all(_atoi(p) for p in parts):
        raise RpcError(f"UNSUPPORTED_FORMAT:{time_text}")
    years, months = _int_list(item["Years"]), _int_list(item["Months"])
    month_days, week_days = _int_list(item["MonthDays"]), _int_list(item["WeekDays"])
    if years and not months:
        months = [1]
    if months and not month_days:
        month_days = [1]
    return _timing("", time_text, years, months, month_days, week_days)


def next_run(timing, after):
    """The first instant strictly after `after` (server zone, whole seconds) matching the timing."""
    start = timing["StartTime"]
    if start == "*asap":
        return None
    if start.startswith("+"):
        return after + timedelta(microseconds=parse_duration(start[1:]) / 1000)
    hour, minute, second = start.split(":")
    base = after.replace(microsecond=0)
    if hour == "*":
        step = timedelta(minutes=1) if minute == "*" else timedelta(hours=1)
        candidate = base.replace(second=int(second)) if minute == "*" else \
            base.replace(minute=int(minute), second=int(second))
        return candidate if candidate > after else candidate + step
    day = after.date()
    for _ in range(366 * 30):  # a Years list may point decades ahead; stop there
        if _day_matches(timing, day):
            candidate = datetime(day.year, day.month, day.day, int(hour), int(minute), int(second),
                                 tzinfo=after.tzinfo)
            if candidate > after:
                return candidate
        day += timedelta(days=1)
    return None


def _day_matches(timing, day):
    month_end = last_day(day.year, day.month)
    month_days = timing["MonthDays"]
    if timing["ID"] == "*monthly_estimated":
        month_days = [min(d, month_end) for d in month_days]
    return ((not timing["Years"] or day.year in timing["Years"])
            and (not timing["Months"] or day.month in timing["Months"])
            and (not month_days or day.day in month_days or (-1 in month_days and day.day == month_end))
            and (not timing["WeekDays"] or (day.weekday() + 1) % 7 in timing["WeekDays"]
                 or (day.weekday() == 6 and 7 in timing["WeekDays"])))


def reload(state):
    """Scheduler reload: run the queued *asap tasks, then rebuild the queue snapshot."""
    tasks, state.tasks = state.tasks, []
    for account_id, actions_id in tasks:
        run_actions(state, state.actions.get(actions_id, []), [account_id])
    now = state.clock.now()
    queue = []
    for plan in state.action_plans.values():
        accounts = sorted(plan.AccountIDs or {})
        for timing in plan.ActionTimings:
            if timing.is_asap:
                continue
            when = next_run(timing.Timing, now)
            if when is not None:
                queue.append(QueuedTiming(plan.Id, timing, accounts, when,
                                          one_shot=timing.Timing["StartTime"].startswith("+")))
    state.queue = sorted(queue, key=_queue_order)


def _queue_order(entry):
    return entry.next_run, -entry.timing.Weight


def advance(state, target):
    """Move the clock to `target`, firing every due timing in order (the test hook of §10.2)."""
    fired = []
    while state.config.scheduler_running and state.queue and state.queue[0].next_run <= target:
        if len(fired) >= _FIRING_LIMIT:
            raise RpcError("SERVER_ERROR: too many scheduled runs; advance the clock in smaller steps")
        entry = state.queue.pop(0)
        state.clock.set(entry.next_run)
        actions = state.actions.get(entry.timing.ActionsID, [])
        ok = run_actions(state, actions, entry.account_ids)
        fired.append({"ActionPlanID": entry.plan_id, "ActionsID": entry.timing.ActionsID,
                      "Time": entry.next_run, "Accounts": len(entry.account_ids), "Executed": ok})
        unknown = any(a.ActionType not in known_action_types() for a in actions)
        following = None if entry.one_shot or unknown else next_run(entry.timing.Timing, entry.next_run)
        if following is not None:
            entry.next_run = following
            state.queue = sorted([*state.queue, entry], key=_queue_order)
    state.clock.set(target)
    return fired


def scheduled_actions(state, args):
    """GetScheduledActions over the snapshot: filters, then Offset/Limit (§6.11)."""
    if not state.config.scheduler_running:
        raise RpcError("SCHEDULER_NOT_RUNNING")
    result = []
    for entry in state.queue:
        if args["Tenant"] is not None or args["Account"] is not None:
            owners = [account_id.split(":", 1) for account_id in entry.account_ids]
            if not any((args["Tenant"] is None or tenant == args["Tenant"]) and
                       (args["Account"] is None or name == args["Account"]) for tenant, name in owners):
                continue
        if args["TimeStart"] is not None and entry.next_run < args["TimeStart"]:
            continue
        if args["TimeEnd"] is not None and entry.next_run >= args["TimeEnd"]:
            continue
        result.append({"NextRunTime": entry.next_run, "Accounts": len(entry.account_ids),
                       "ActionPlanID": entry.plan_id, "ActionTimingUUID": entry.timing.Uuid,
                       "ActionsID": entry.timing.ActionsID})
    offset, limit = args["Offset"], args["Limit"]
    if offset is not None and 0 <= offset < len(result):
        result = result[offset:]
    if limit is not None and 0 <= limit < len(result):
        result = result[:limit]
    if not result:
        raise RpcError("NOT_FOUND")
    return result
