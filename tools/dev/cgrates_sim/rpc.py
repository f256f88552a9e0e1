"""JSON-RPC dispatch the way cgrates/birpc does it over HTTP (CONTRACT.md §1-§2).

Methods register under every service alias that exposes them. A request is handled with the
state lock held; *http_post side effects are sent after the lock is released so that a CRM
callback may call back into the simulator.
"""
import json
import threading
import time
import urllib.error
import urllib.request

from .gojson import RpcError, decode_params, encode

SERVICES = {}  # service name -> {method name -> (argument type, handler)}
APIER_V1 = ("APIerSv1", "ApierV1", "APIerSv2", "ApierV2")  # APIerSv2 embeds APIerSv1
APIER_V1_ONLY = ("APIerSv1", "ApierV1")  # methods that APIerSv2 overrides
APIER_V2 = ("APIerSv2", "ApierV2")
DROP = object()  # Simulator.FailNext with Drop: close the connection without a reply


def method(services, name, argument_type):
    """Register `handler(state, args)` as <service>.<name> for each service alias."""
    def register(handler):
        for service in services:
            SERVICES.setdefault(service, {})[name] = (argument_type, handler)
        return handler
    return register


def dispatch(state, full_method, params):
    if "." not in full_method:
        raise RpcError(f"rpc: service/method request ill-formed: {full_method}")
    service, name = full_method.rsplit(".", 1)
    if service not in SERVICES or (service == "SchedulerSv1" and not state.config.scheduler_running):
        raise RpcError(f"rpc: can't find service {full_method}")
    if name not in SERVICES[service]:
        raise RpcError(f"rpc: can't find method {full_method}")
    argument_type, handler = SERVICES[service][name]
    return handler(state, decode_params(params, argument_type))


def _reject_constant(name):
    raise ValueError(f"invalid JSON constant {name}")


def handle(state, body):
    """Process one HTTP body. Returns reply bytes (b"" for undecodable JSON) or DROP."""
    try:
        request = json.loads(body, parse_constant=_reject_constant)
    except ValueError:
        return b""  # the codec fails before reading an id, so nothing is written
    if not isinstance(request, dict) or not isinstance(request.get("method", ""), str):
        return b""
    full_method, request_id = request.get("method", ""), request.get("id")
    rule = _take_fail_rule(state, full_method)
    if rule is not None:
        time.sleep(rule["Delay"])
        if rule["Drop"]:
            return DROP
        if rule["Error"]:
            return _envelope(request_id, None, rule["Error"])
    with state.lock:
        try:
            result, error = dispatch(state, full_method, request.get("params")), None
        except RpcError as exc:
            result, error = None, str(exc)
        posts, state.outbox = state.outbox, []
    send_posts(state, posts)
    return _envelope(request_id, result, error)


def _envelope(request_id, result, error):
    return (encode({"id": request_id, "result": result, "error": error}) + "\n").encode()


def _take_fail_rule(state, full_method):
    with state.lock:
        state.requests.append(full_method)
        if full_method.startswith("Simulator."):
            return None
        for rule in state.fail_rules:
            if rule["Method"] in ("", full_method):
                rule["Count"] -= 1
                if rule["Count"] <= 0:
                    state.fail_rules.remove(rule)
                return rule
    return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def send_posts(state, posts):
    for post in posts:
        if post.asynchronous:
            threading.Thread(target=_deliver, args=(state, post), daemon=True).start()
        else:
            _deliver(state, post)


def _deliver(state, post):
    """*http_post: POST the JSON body, up to general.poster_attempts tries; 2xx is success."""
    body = encode(post.body).encode()
    status, error, attempts = None, None, 0
    while attempts < state.config.poster_attempts:
        attempts += 1
        request = urllib.request.Request(post.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with _OPENER.open(request, timeout=5) as response:
                status, error = response.status, None
                break
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"unexpected status code received: {exc.code}"
        except (OSError, ValueError) as exc:
            error = str(exc)
        time.sleep(0.05)
    with state.lock:
        state.http_posts.append({"URL": post.url, "Body": post.body, "Status": status, "Error": error,
                                 "Attempts": attempts, "Async": post.asynchronous,
                                 "Time": state.clock.now()})
