"""Your data is yours: lossless export of a board or an account, and imports from it and from other tools."""
