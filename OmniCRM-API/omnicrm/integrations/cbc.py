"""The operator's Cell Broadcast Centre (`cbc_url`, spec 05 §8.9): `POST {cbc_url}/alerts/send` for a new or
updated alert, `POST {cbc_url}/alerts/cancel` to stop one. Each call has a timeout and is retried with exponential
backoff on connection errors, timeouts and 5xx answers; a 4xx is the CBC refusing the alert and is not retried.
`CbcRefused` / `CbcUnavailable` carry what the CBC said so the caller stores it (never marks the alert active)."""
import time

import requests


class CbcError(Exception):
    def __init__(self, message, status_code=None, body=None):
        super().__init__(message)
        self.status_code = status_code
        self.body = body


class CbcRefused(CbcError):
    """The CBC answered and did not accept the alert (4xx, or a 2xx without an acknowledgement)."""


class CbcUnavailable(CbcError):
    """The CBC could not be reached, timed out or failed (5xx) on every attempt."""


class CbcClient:
    def __init__(self, base_url, timeout=5.0, retries=3, backoff=0.5, sleep=time.sleep):
        if not base_url:
            raise CbcUnavailable("cbc_url is not configured: no Cell Broadcast Centre to send to")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = max(1, retries)
        self.backoff = backoff
        self.sleep = sleep

    def send(self, payload):
        return self._post("/alerts/send", payload)

    def cancel(self, cbc_unique_id, message_identifier):
        return self._post("/alerts/cancel", {"cbc_unique_id": cbc_unique_id,
                                             "messageIdentifier": message_identifier})

    def _post(self, path, payload):
        last = None
        for attempt in range(self.retries):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = requests.post(self.base_url + path, json=payload, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = CbcUnavailable(f"CBC unreachable at {self.base_url}: {type(exc).__name__}")
                continue
            body = _json(response)
            if response.status_code >= 500:
                last = CbcUnavailable(f"CBC answered HTTP {response.status_code}", response.status_code, body)
                continue
            if response.status_code >= 400:
                raise CbcRefused(f"CBC refused the alert: HTTP {response.status_code} {_reason(body)}".strip(),
                                 response.status_code, body)
            if not isinstance(body, dict) or body.get("accepted", True) is not True:
                raise CbcRefused(f"CBC did not acknowledge the alert: {_reason(body)}", response.status_code, body)
            return body
        raise last


def _json(response):
    try:
        return response.json()
    except ValueError:
        return {"raw": response.text[:500]}


def _reason(body):
    if isinstance(body, dict):
        return str(body.get("error") or body.get("message") or body.get("reason") or "")[:300]
    return ""
