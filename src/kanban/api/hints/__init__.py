"""Hints: the Worker's proposals as the API keeps them, and applying, dismissing and undoing them."""
