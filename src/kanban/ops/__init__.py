"""Operating the system: moving a legacy shared database into the API and Worker databases."""
