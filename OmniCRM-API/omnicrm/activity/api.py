"""API namespaces of the activity domain (registered through omnicrm.domain_namespaces)."""

namespaces = []
