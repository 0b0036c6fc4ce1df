"""ToyWorld: a procedural image world, a base model pretrained on it, and a scorer (docs/toyworld.md)."""
