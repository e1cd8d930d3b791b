"""School merger and closure handovers (Art. 19, R-D4)."""
