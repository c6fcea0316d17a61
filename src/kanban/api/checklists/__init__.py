"""Checklists: the ordered next steps inside a task."""
