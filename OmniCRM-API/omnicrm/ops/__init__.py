"""Running OmniCRM in production: request ids and structured logs, Prometheus metrics, backup and restore."""
