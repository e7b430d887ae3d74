"""Benchmarks of the service against the JavaScript reference libraries. Not tests: run `bench/run.sh` or
`python -m bench [--quick] [crypto|certificates|bulk|http ...]` (see README.md, "Benchmarks")."""
