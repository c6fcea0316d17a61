"""Projects: GTD outcomes that group a board's tasks."""
