"""`make bench`: throughput of the services against the emulator, bare and with latency."""
