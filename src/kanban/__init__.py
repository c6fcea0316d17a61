"""Personal Kanban: a GTD board (API service) and its hint-drafting Worker, joined only by events."""

__version__ = "0.1.0"
