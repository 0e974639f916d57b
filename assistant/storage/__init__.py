"""What the assistant keeps: ``history`` is the SQLite store of users, turns, feedback and
profiles (one transaction per turn, schema migrations)."""
