"""The MineLand Processing provider."""
