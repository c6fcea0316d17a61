"""The Worker service: turns task events into agent jobs and hint drafts. Owns kanban_worker; never imports the api."""
