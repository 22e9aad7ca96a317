"""One module per dashboard section; each function takes the report's context."""
