"""The calendar feed: tasks with a due date as an iCalendar document at a secret, revocable URL."""
