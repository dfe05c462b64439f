"""Plans and reports as text, markdown and JSON."""
