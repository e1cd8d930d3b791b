"""Term re-verification (复核, Art. 23): the records (`records.py`), the campaign and its
schools' results (`campaigns.py`), and the discrepancies a school flags (`discrepancies.py`)."""
