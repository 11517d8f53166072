"""The text pages: the verbatim explorer and the themes."""
