"""The HTTP side: POST /jsonrpc on a ThreadingHTTPServer, like CGRateS' listen.http (§1.1)."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import api_accounts, api_actions, api_cdrs, api_control, api_profiles  # noqa: F401 (register methods)
from .rpc import DROP, handle
from .state import State

JSONRPC_PATH = "/jsonrpc"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Go's net/http
    disable_nagle_algorithm = True  # headers and body leave in separate writes

    def _serve(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.split("?", 1)[0] != JSONRPC_PATH:
            self._reply(404, b"404 page not found\n", "text/plain; charset=utf-8")
            return
        reply = handle(self.server.state, body)
        if reply is DROP:
            self.close_connection = True
            return
        self._reply(200, reply, "application/json")

    do_POST = do_GET = do_PUT = do_DELETE = do_OPTIONS = _serve  # the handler ignores the method

    def _reply(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        origin = self.headers.get("Origin")
        if origin:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Methods", "POST, GET, OPTIONS, PUT, DELETE")
            self.send_header("Access-Control-Allow-Headers", "Accept, Accept-Language, Content-Type")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)


class SimServer(ThreadingHTTPServer):
    """A CGRateS-compatible JSON-RPC server holding one simulated engine (`.state`)."""

    daemon_threads = True
    allow_reuse_address = True
    # CGRateS (Go) listens with the system's backlog; socketserver's default of 5 resets connections as soon as a few
    # API threads open theirs at once (seen under bench/load.py).
    request_queue_size = 128

    def __init__(self, host, port, verbose=False):
        super().__init__((host, port), _Handler)
        self.state = State()
        self.verbose = verbose
        self._thread = None

    @property
    def endpoint(self):
        host, port = self.server_address[:2]
        return f"{host}:{port}"

    def start(self):
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"cgrates-sim-{self.endpoint}", daemon=True)
        self._thread.start()

    def stop(self):
        """Stop serving, close the socket and wait for the serving thread."""
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join()


def start_in_thread(host="127.0.0.1", port=0, verbose=False):
    """Start a simulator in a daemon thread; port 0 picks a free port.

    Returns (server, "host:port"); call server.stop() to shut it down.
    """
    server = SimServer(host, port, verbose)
    server.start()
    return server, server.endpoint
