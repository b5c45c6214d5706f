"""Natural-language understanding: normalise, detect language, extract entities, match, score anger."""
