"""Cheapest insertion on compiled routes: the board, and the repair operators on it."""
