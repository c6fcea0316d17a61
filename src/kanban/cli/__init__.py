"""The `kanban` command: up, api, worker, db, migrate, events, doctor, backup, restore, export, import."""
