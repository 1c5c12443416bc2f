"""Network device simulators for the lab: SSH + SCP servers that answer like real gear.

One process per device (``python -m lab.netsim --platform cisco_ios ...``). Each device keeps its
state in a directory: ``flash/`` (its file system), ``state.json`` (what it runs and boots, written on
every change, read by tests) and ``faults.json`` (faults injected by ``python -m lab fault netdev``,
re-read on every operation, so no signal or socket is needed to change a device's behaviour).
"""
