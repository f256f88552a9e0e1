"""API namespaces of the inventory domain (registered through omnicrm.domain_namespaces)."""

namespaces = []
