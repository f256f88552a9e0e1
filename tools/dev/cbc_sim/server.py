"""The CBC double's HTTP server (see the package docstring)."""
import json
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("ok", "error", "refuse", "no_ack", "slow")


class CbcSimulator:
    def __init__(self, host="127.0.0.1", port=0, slow_seconds=3.0):
        self.lock = threading.Lock()
        self.slow_seconds = slow_seconds
        self.reset()
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = None

    def reset(self):
        with getattr(self, "lock", threading.Lock()):
            self.received = []
            self.alerts = {}
            self.mode, self.mode_count = "ok", None

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def serve_forever(self):
        self.server.serve_forever()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _current_mode(self):
        mode = self.mode
        if self.mode_count is not None:
            self.mode_count -= 1
            if self.mode_count <= 0:
                self.mode, self.mode_count = "ok", None
        return mode

    def handle(self, method, path, body):
        """(status, JSON body) for one request."""
        now = datetime.now(timezone.utc).isoformat()
        if path == "/_sim/received" and method == "GET":
            with self.lock:
                return 200, {"received": list(self.received), "alerts": dict(self.alerts), "mode": self.mode}
        if path == "/_sim/reset" and method == "POST":
            self.reset()
            return 200, {"reset": True}
        if path == "/_sim/mode" and method == "POST":
            mode = (body or {}).get("mode")
            if mode not in MODES:
                return 400, {"error": f"mode must be one of {', '.join(MODES)}"}
            with self.lock:
                self.mode, self.mode_count = mode, (body or {}).get("count")
            return 200, {"mode": mode}
        if path == "/alerts" and method == "GET":
            with self.lock:
                return 200, {"alerts": dict(self.alerts)}
        if method != "POST" or path not in ("/alerts/send", "/alerts/cancel"):
            return 404, {"error": "unknown path"}
        with self.lock:
            mode = self._current_mode()
            entry = {"path": path, "body": body, "at": now, "mode": mode}
            self.received.append(entry)
        if mode == "slow":
            time.sleep(self.slow_seconds)
        if mode == "error":
            return 503, {"error": "CBC temporarily unavailable (simulated)"}
        if mode == "refuse":
            return 400, {"accepted": False, "error": "rejected by the simulated CBC"}
        if mode == "no_ack":
            return 200, {"accepted": False, "error": "no acknowledgement (simulated)"}
        unique_id = (body or {}).get("cbc_unique_id")
        if not unique_id:
            return 400, {"accepted": False, "error": "cbc_unique_id is required"}
        with self.lock:
            if path == "/alerts/cancel":
                if unique_id not in self.alerts:
                    return 404, {"accepted": False, "error": f"no alert {unique_id}"}
                self.alerts[unique_id]["state"] = "cancelled"
                return 200, {"accepted": True, "cbc_unique_id": unique_id, "cancelled_at": now}
            if not body.get("localized_messages") or not body.get("messageIdentifier"):
                return 400, {"accepted": False, "error": "messageIdentifier and localized_messages are required"}
            previous = self.alerts.get(unique_id)
            serial = (previous["serial"] + 1) if previous else 1
            self.alerts[unique_id] = {"state": "broadcasting", "serial": serial, "alert": body}
        cells = "all" if body.get("all_cells") else len(body.get("tracking_areas") or [])
        return 200, {"accepted": True, "cbc_unique_id": unique_id, "cbc_reference": str(uuid.uuid4()),
                     "update_number": serial, "tracking_areas": cells, "received_at": now}


def _handler(sim):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            status, answer = sim.handle(self.command, self.path.split("?")[0], body)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve  # noqa: N815 - http.server naming

        def log_message(self, fmt, *args):
            print(f"cbc_sim {self.command} {self.path} {args[1] if len(args) > 1 else ''}", flush=True)

    return Handler
