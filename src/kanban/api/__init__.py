"""The API service: the Kanban/GTD domain over HTTP. Owns the kanban_api database; never imports the worker."""
