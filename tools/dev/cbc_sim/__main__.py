"""python -m tools.dev.cbc_sim --host 127.0.0.1 --port 8090"""
import argparse

from tools.dev.cbc_sim.server import CbcSimulator

parser = argparse.ArgumentParser(description="Cell Broadcast Centre double for OmniCRM")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8090)
args = parser.parse_args()
sim = CbcSimulator(args.host, args.port)
print(f"CBC simulator listening on {sim.url}", flush=True)
sim.serve_forever()
