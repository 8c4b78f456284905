"""The basics every layer shares: errors, roles, the input rules, money and file formats."""
