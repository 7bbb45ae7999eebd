"""Field-service dispatch and spare-parts optimisation engine."""

__version__ = "0.1.0"
