"""The core of the offline assistant: pipeline, stages, history store, sessions, CLI."""
