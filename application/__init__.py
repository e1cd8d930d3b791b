"""The use cases: load in scope, check the rules in `domain/`, write through the ports,
record history and audit. Called by resolvers, jobs and commands alike with a `Session`."""
