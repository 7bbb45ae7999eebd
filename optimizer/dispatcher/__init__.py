"""The dispatcher's day: events, re-optimisation, explanations and slots."""
