"""The archive handover after a transfer (Art. 18, 19) in GraphQL."""
