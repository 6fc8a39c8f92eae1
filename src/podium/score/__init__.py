"""Reading scores: YAML with locations, the score model, planning, and prompt rendering."""
