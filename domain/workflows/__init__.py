"""Status changes (Art. 11-16) as declarative workflows: `engine.py` runs any definition;
`definitions.py` holds one definition per kind. Adding a kind is adding a definition."""
