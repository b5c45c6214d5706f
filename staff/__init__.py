"""Staff web layer: agent and KB web APIs, their auth, static pages."""
