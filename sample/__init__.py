"""Sample data and the headless demo (not shipped in the plugin zip)."""
