"""The Worker's read model of tasks, boards, tags and projects, built only from API events."""
