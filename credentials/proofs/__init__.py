"""Proofs: JSON-LD with bundled contexts only, RDF canonicalization (RDFC-1.0), Data Integrity eddsa-rdfc-2022, the
VCDM 2.0 rules and Bitstring Status Lists. Pure functions over documents: no HTTP, no SQL."""
