"""Automation rules: a trigger, conditions on the task, and actions; stored and validated here."""
