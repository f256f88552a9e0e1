"""The real OmniCRM server for the browser tests: a fresh SQLite database with the admin and the demo data, the
CGRateS simulator, and the built console from OmniCRM-UI/dist, on a free port of 127.0.0.1.

Prints `READY <base url>` once it answers; stops on SIGTERM/SIGINT. Run from the repository root:
    .venv/bin/python tests/e2e/server.py [--port 0] [--no-demo]
"""
import argparse
import signal
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "OmniCRM-API")]

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "Admin123!"


def build_app(db_path, cgrates_endpoint, demo=True):
    from omnicrm import create_app, db
    from omnicrm.config import load_config
    from omnicrm.db import Base
    from omnicrm.seed import ensure_admin, seed_demo

    environ = {"JWT_SECRET": "e2e-" + "s" * 60, "OMNICRM__SECURITY__BCRYPT_ROUNDS": "4",
               "CGRATES_ENDPOINT": cgrates_endpoint}
    app = create_app(load_config(environ=environ), database_url=f"sqlite:///{db_path}")
    Base.metadata.create_all(db.get_engine())
    with app.app_context():
        ensure_admin(ADMIN_EMAIL, ADMIN_PASSWORD, username="admin")
        if demo:
            seed_demo()
        db.session.remove()
    return app


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-demo", action="store_true", help="only the admin user")
    args = parser.parse_args(argv)

    from werkzeug.serving import make_server
    from tools.dev.cgrates_sim.server import start_in_thread

    workdir = tempfile.TemporaryDirectory(prefix="omnicrm-e2e-")
    cgrates, endpoint = start_in_thread("127.0.0.1", 0)
    app = build_app(Path(workdir.name) / "e2e.db", endpoint, demo=not args.no_demo)
    server = make_server("127.0.0.1", args.port, app, threaded=True)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)
    stop.wait()
    server.shutdown()
    cgrates.stop()
    workdir.cleanup()


if __name__ == "__main__":
    main()
