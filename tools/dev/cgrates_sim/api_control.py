"""Test controls under the non-CGRateS service name "Simulator" (never part of CGRateS).

They reset state, drive the clock (firing scheduled ActionPlans), inject failures, add
sessions and expose the side-effect logs (*http_post calls, *log entries, trigger firings).
"""
from datetime import timedelta

from . import scheduler
from .api_cdrs import new_session
from .gojson import ANY, BOOL, FLOAT, INT, STRING, MapOf, Ptr, RpcError, Struct
from .gotime import GoError, parse_duration, parse_rfc3339, parse_timezone
from .rpc import method

SIM = ("Simulator",)
CONFIGURE = Struct("sim.Configure", ("Timezone", Ptr(STRING)), ("DefaultTenant", Ptr(STRING)),
                   ("SchedulerRunning", Ptr(BOOL)), ("CdrsConns", Ptr(BOOL)), ("PosterAttempts", Ptr(INT)))
SET_TIME = Struct("sim.SetTime", ("Time", STRING))
ADVANCE_TIME = Struct("sim.AdvanceTime", ("Duration", STRING), ("To", STRING))
FAIL_NEXT = Struct("sim.FailNext", ("Method", STRING), ("Error", STRING), ("Drop", BOOL),
                   ("Delay", FLOAT), ("Count", INT))
ADD_SESSION = Struct("sim.AddSession", ("Session", MapOf(ANY)))


def _parsed(parse, text):
    try:
        return parse(text)
    except GoError as exc:
        raise RpcError(str(exc)) from None


@method(SIM, "Reset", ANY)
def reset(state, _args):
    state.reset()
    return "OK"


@method(SIM, "Configure", CONFIGURE)
def configure(state, args):
    """Change engine settings, e.g. {"Timezone": "+10:00"} or {"SchedulerRunning": false}."""
    settings = {"Timezone": "timezone", "DefaultTenant": "default_tenant", "SchedulerRunning": "scheduler_running",
                "CdrsConns": "cdrs_conns", "PosterAttempts": "poster_attempts"}
    for key, attribute in settings.items():
        if args[key] is not None:
            setattr(state.config, attribute, args[key])
    if args["Timezone"] is not None:
        state.clock.tz = _parsed(parse_timezone, args["Timezone"])
    return "OK"


@method(SIM, "SetTime", SET_TIME)
def set_time(state, args):
    """Freeze the clock at an RFC3339 time (it stays frozen until Reset)."""
    state.clock.freeze(_parsed(parse_rfc3339, args["Time"]))
    return "OK"


@method(SIM, "AdvanceTime", ADVANCE_TIME)
def advance_time(state, args):
    """Move the clock by Duration ("720h") or To a time, running every scheduled timing that
    falls due on the way, for the account lists copied at the last scheduler reload."""
    now = state.clock.now()
    if args["To"]:
        target = _parsed(parse_rfc3339, args["To"])
    else:
        target = now + timedelta(microseconds=_parsed(parse_duration, args["Duration"] or "0") / 1000)
    if target < now:
        raise RpcError("SERVER_ERROR: the simulator clock cannot go back")
    return scheduler.advance(state, target)


@method(SIM, "FailNext", FAIL_NEXT)
def fail_next(state, args):
    """The next Count calls of Method (any method if empty) get Error, or are dropped without a
    reply (Drop), after an optional Delay in seconds (to provoke client timeouts)."""
    if not (args["Error"] or args["Drop"] or args["Delay"]):
        raise RpcError("MANDATORY_IE_MISSING: [Error or Drop or Delay]")
    state.fail_rules.append({**args, "Count": args["Count"] or 1})
    return "OK"


@method(SIM, "AddSession", ADD_SESSION)
def add_session(state, args):
    state.sessions.append(new_session(state, args["Session"] or {}))
    return "OK"


@method(SIM, "GetHttpPosts", ANY)
def get_http_posts(state, _args):
    return state.http_posts


@method(SIM, "GetEvents", ANY)
def get_events(state, _args):
    return state.events


@method(SIM, "GetRequests", ANY)
def get_requests(state, _args):
    return state.requests
