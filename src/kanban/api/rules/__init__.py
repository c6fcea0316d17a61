"""Rules: one folder per aggregate (schemas, handlers, repository, routes)."""
