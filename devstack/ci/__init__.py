"""Logic behind the GitHub workflows: plan comments, their upsert and the plan scope."""
