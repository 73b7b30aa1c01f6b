"""The tightness study: runs of (instance, formulation, engine), stored, aggregated and plotted."""
