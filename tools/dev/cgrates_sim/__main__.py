"""Run the simulator: python -m tools.dev.cgrates_sim --host 127.0.0.1 --port 2080"""
import argparse
import signal
import threading

from .server import start_in_thread


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.dev.cgrates_sim",
                                     description="CGRateS-compatible JSON-RPC simulator (test double).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2080)
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server, endpoint = start_in_thread(args.host, args.port, args.verbose)
    print(f"CGRateS simulator listening on http://{endpoint}/jsonrpc", flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()
    print("CGRateS simulator stopped", flush=True)


if __name__ == "__main__":
    main()
