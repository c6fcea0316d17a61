"""The daily digest by e-mail, and the one-click done/snooze links it carries."""
