"""Stage 1: turn public audio datasets into the common task format (docs/task-format.md)."""
