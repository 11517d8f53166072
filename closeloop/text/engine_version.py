"""The version of the enrichment engine's code: raise it when tokens, sentiment or theme
matching change, so every organization's comments are enriched again."""

ENGINE_VERSION = "1"
