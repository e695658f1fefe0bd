"""The registry's services: the reads and writes its use cases and routes call."""
