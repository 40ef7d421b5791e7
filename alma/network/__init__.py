"""The core's shared records: who is in the network, and the clients they see."""
