"""`kanban migrate`: backup, split, verify and rollback of a legacy shared database."""
