"""Database plumbing shared by both services: URLs, engines, migrations. Knows no service's tables."""
