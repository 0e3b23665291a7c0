"""asp-ft-tui: turn ASP benchmark folders into a clingo-verified fine-tuning dataset.

Importing this package stays cheap: heavy modules (mlx, mlx_lm, transformers, google.genai) are
imported only by the commands that need them.
"""

__version__ = "0.1.0"
