"""What the system says: the versioned event schemas both services share, and their envelope.

This package imports nothing else of the project; a breaking change is a new class, never an edit.
"""
