"""Phase 28: LoRA layers, merging and adapter files."""
