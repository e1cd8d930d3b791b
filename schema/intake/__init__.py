"""Bulk intake jobs (Art. 5, 6): their progress and what became of each row."""
