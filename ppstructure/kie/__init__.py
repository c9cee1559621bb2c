"""Key information extraction: SER/RE inference with exported models, and data converters (tools/)."""
