"""Discord extensions, one package per feature, loaded by name in ``NewsBot.setup_hook``."""
