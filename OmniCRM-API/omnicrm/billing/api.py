"""API namespaces of the billing domain (registered through omnicrm.domain_namespaces)."""

namespaces = []
