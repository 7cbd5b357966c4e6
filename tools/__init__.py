"""Development tooling shared by the tests and the benchmarks (not part of the library, not installed): real
servers on 127.0.0.1 and synthetic corpora."""
