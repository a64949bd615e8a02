"""Wire-facing handlers, one thin module per protocol area: validate, call core, build results."""
