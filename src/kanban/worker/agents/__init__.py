"""The Worker's agents: each reads a task and proposes hint drafts of one kind."""
