"""Test support shared by every tier: databases, settings, servers."""
