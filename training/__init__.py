"""cove training: network definitions, losses, data, training and TorchScript bundle export."""
