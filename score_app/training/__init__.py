"""Training delivery: workshops, visits, people, attendance, the EIT and certificates."""
