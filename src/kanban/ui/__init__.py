"""The board in a browser: server-rendered pages over the API's own handlers, plus vendored static files."""
