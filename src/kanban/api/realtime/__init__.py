"""The realtime stream of a board: task changes, hint arrivals and agent progress, as server-sent events."""
