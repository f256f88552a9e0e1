"""API namespaces of the utilities domain (registered through omnicrm.domain_namespaces)."""

namespaces = []
