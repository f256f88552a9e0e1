"""A CGRateS-compatible JSON-RPC simulator (test double) for OmniCRM.

Real CGRateS is a Go server that cannot run in the development and CI environments, so this
stdlib-only HTTP server reproduces the subset of its API that OmniCRM uses, as specified in
/work/shared/cgrates/CONTRACT.md. See README.md for what it covers and what it does not.
"""
from .server import SimServer, start_in_thread

__all__ = ["SimServer", "start_in_thread"]
