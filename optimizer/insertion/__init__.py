"""Cheapest insertion on compiled routes: the board, working routes, and repair operators.

The board (:mod:`~optimizer.insertion.board`) evaluates a job over every gap of every route
at once; :mod:`~optimizer.insertion.routes` turns a plan's stops into working routes;
:mod:`~optimizer.insertion.repair` places, displaces, ejects and recreates on a board. The
solver's fill pass and the dispatcher's re-optimisation both use them on the compiled
problem they already hold.
"""
