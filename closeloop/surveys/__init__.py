"""Survey definitions: schema, question types, logic, piping, serialization and templates."""
