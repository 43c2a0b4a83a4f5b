"""`python -m bot.cli`, the same as the `helpdesk` console script."""

from bot.cli import app

app()
