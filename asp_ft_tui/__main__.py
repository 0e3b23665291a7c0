"""`python -m asp_ft_tui` opens the app, like the `asp-ft-tui` command."""

from asp_ft_tui.tui.app import main

if __name__ == "__main__":
    raise SystemExit(main())
