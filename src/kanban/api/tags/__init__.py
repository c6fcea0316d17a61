"""Tags: labels unique per board (whatever their case), attached to tasks."""
