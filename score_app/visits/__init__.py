"""In-factory visits: what the trainer found and agreed, and the plan actions each visit followed
up; above training (the visit's record) and plans (its actions)."""
