"""Recurring templates: one folder per aggregate (schemas, handlers, repository, routes, rrule)."""
