"""Term re-verification (复核, Art. 23) in GraphQL."""
