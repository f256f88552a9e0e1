"""API namespaces of the customers domain (registered through omnicrm.domain_namespaces)."""

namespaces = []
