"""Flow analytics read back from the task event log: CFD, throughput, cycle time, aging, forecasts."""
