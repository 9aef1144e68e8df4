"""The training loop (single process, or one rank of a torchrun / DDP job)."""
