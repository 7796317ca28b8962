"""CSV imports of the directory in the shapes schools export: ONDE (primary),
SIECLE (secondary pupils and guardians) and STS (secondary teachers and staff).

parsing.py turns bytes into rows (never raising: every problem is a reported
issue), plan.py matches the rows with the directory by stable ids and computes
(or applies) the changes, jobs.py runs both for an ImportJob."""
