"""Year-end promotion, graduation and progression (Art. 17, 19) in GraphQL."""
