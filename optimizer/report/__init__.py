"""Reports over what was done: the monthly service report (``optimizer report monthly``)."""
