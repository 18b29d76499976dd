"""Stage 4: stored test predictions -> scores, result tables and plots."""
