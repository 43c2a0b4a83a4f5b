"""The company's hearing sheet: one per company, answered together, reviewed, submitted."""
