"""Errors that map onto the API's single JSON error shape: {"message": ..., "errors": {...}}."""


class ApiError(Exception):
    """An error the API reports to the caller with a status code and a clear message."""

    status_code = 400

    def __init__(self, message, status_code=None, errors=None, **extra):
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.errors = errors or {}
        self.extra = extra

    def to_dict(self):
        body = {"message": self.message}
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class ValidationError(ApiError):
    """Bad input: 400 with per-field messages."""

    status_code = 400


class NotFound(ApiError):
    status_code = 404


class Conflict(ApiError):
    status_code = 409


class Forbidden(ApiError):
    status_code = 403


class Unauthorized(ApiError):
    status_code = 401


class PaymentRequired(ApiError):
    """The payment was refused (a declined card): 402 with the processor's reason."""

    status_code = 402


class DependencyError(ApiError):
    """A system we depend on (CGRateS, Stripe, Mailjet) answered with an error: 502."""

    status_code = 502


class DependencyUnavailable(ApiError):
    """A system we depend on could not be reached: 503."""

    status_code = 503
