"""The legacy shared database: where its tables are, how to read them, how its rows map to ours."""
