"""Graph nodes: each reads state, calls one plain function, returns a partial update."""
