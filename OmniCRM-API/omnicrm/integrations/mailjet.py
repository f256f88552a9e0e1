"""Mailjet Send API v3.1 client: POST {api_url}/v3.1/send with basic auth api_key:api_secret.

Only what OmniCRM needs: template messages (TemplateID + TemplateLanguage + Variables) and plain text notices
(TextPart), with attachments. Errors are raised as `MailjetError` (Mailjet answered with an error) or
`MailjetUnavailable` (Mailjet could not be reached), so callers can tell a 502 from a 503.
"""
import base64

import requests

SEND_PATH = "/v3.1/send"
MAX_MESSAGE_BYTES = 15 * 1024 * 1024  # Mailjet refuses messages (with attachments) above 15 MB


class MailjetError(Exception):
    """Mailjet answered, with an error (bad credentials, unknown template, invalid message...)."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        self.status = status


class MailjetUnavailable(MailjetError):
    """Mailjet could not be reached (connection refused, DNS, timeout)."""


def recipient(email, name=None):
    entry = {"Email": email}
    if name:
        entry["Name"] = name
    return entry


def attachment(filename, content, content_type="application/octet-stream"):
    """A Send API attachment from raw bytes."""
    return {"ContentType": content_type, "Filename": filename,
            "Base64Content": base64.b64encode(content).decode("ascii")}


def template_message(from_email, from_name, to, template_id, subject, variables, attachments=()):
    """A message rendered by Mailjet from a stored template; `to` is a list of `recipient(...)`."""
    message = {"From": recipient(from_email, from_name), "To": list(to), "TemplateID": int(template_id),
               "TemplateLanguage": True, "Subject": subject, "Variables": dict(variables or {})}
    if attachments:
        message["Attachments"] = list(attachments)
    return message


def text_message(from_email, from_name, to, subject, text):
    """A plain text message (operational notices that have no Mailjet template)."""
    return {"From": recipient(from_email, from_name), "To": list(to), "Subject": subject, "TextPart": text}


class MailjetClient:
    def __init__(self, api_url, api_key, api_secret, timeout=15):
        self.url = api_url.rstrip("/") + SEND_PATH
        self.auth = (api_key, api_secret)
        self.timeout = timeout

    @classmethod
    def from_config(cls, mailjet_config):
        """A client for the `mailjet` config section, or None when the credentials are not set."""
        key, secret = mailjet_config.get("api_key"), mailjet_config.get("api_secret")
        if not key or not secret:
            return None
        return cls(mailjet_config.get("api_url") or "https://api.mailjet.com", str(key), str(secret))

    def send(self, messages):
        """Send the messages; returns Mailjet's per-message results (each with `To[].MessageID`)."""
        try:
            response = requests.post(self.url, json={"Messages": messages}, auth=self.auth, timeout=self.timeout)
        except requests.RequestException as exc:
            raise MailjetUnavailable(f"Mailjet could not be reached: {exc.__class__.__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            raise MailjetError(_error_text(body) or f"Mailjet refused the message (HTTP {response.status_code})",
                               response.status_code)
        results = body.get("Messages") if isinstance(body, dict) else None
        if not isinstance(results, list) or len(results) != len(messages):
            raise MailjetError("Mailjet answered without a result for every message", response.status_code)
        failed = [r for r in results if r.get("Status") != "success"]
        if failed:
            raise MailjetError(_error_text({"Messages": failed}) or "Mailjet did not accept the message",
                               response.status_code)
        return results


def message_ids(result):
    """The Mailjet MessageIDs of one message result, comma-separated (one per recipient)."""
    return ",".join(str(to.get("MessageID")) for to in result.get("To") or [] if to.get("MessageID") is not None)


def _error_text(body):
    """Mailjet's error messages: top-level ErrorMessage (auth) or per-message Errors (validation)."""
    if not isinstance(body, dict):
        return ""
    texts = []
    if body.get("ErrorMessage"):
        texts.append(str(body["ErrorMessage"]))
    for message in body.get("Messages") or []:
        for error in message.get("Errors") or []:
            related = ", ".join(error.get("ErrorRelatedTo") or [])
            text = str(error.get("ErrorMessage") or error.get("ErrorCode") or "error")
            texts.append(f"{text} ({related})" if related else text)
    return "; ".join(texts)
