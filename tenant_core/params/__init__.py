"""The parameter layer: what differs between cities is a declared, effective-dated parameter."""
