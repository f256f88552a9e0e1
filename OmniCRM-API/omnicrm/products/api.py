"""API namespaces of the products domain (registered through omnicrm.domain_namespaces)."""

namespaces = []
