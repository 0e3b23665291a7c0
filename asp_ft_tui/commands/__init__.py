"""Headless command implementations (imported lazily by asp_ft_tui.cli)."""
