"""What the Worker holds of an account, and how it lets go of it."""
