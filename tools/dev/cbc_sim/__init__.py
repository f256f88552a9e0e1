"""A Cell Broadcast Centre double: the `POST /alerts/send` and `POST /alerts/cancel` API OmniCRM calls
(`cbc_url`), recording every request and the alerts it is "broadcasting". Control endpoints under `/_sim/`:
`GET /_sim/received` (every request, oldest first), `POST /_sim/mode` `{"mode": "ok"|"error"|"refuse"|"no_ack"|
"slow", "count": n}` (the next n calls, or all when count is absent, behave so), `POST /_sim/reset`.
Used by `make run` (tools/dev/start_cbc_sim.sh) and by the tests through its URL."""
from tools.dev.cbc_sim.server import CbcSimulator  # noqa: F401
