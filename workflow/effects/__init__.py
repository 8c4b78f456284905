"""What the moves of the road do besides moving: the effects, checks and deadlines that rows of
`workflow/definition.py` name. An effect takes the `Move` and returns what it did (for the
audit event); a check refuses with NotAllowed. Nothing here imports the engine or a service."""
