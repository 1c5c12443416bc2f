"""A Redfish BMC simulator for the lab: HTTPS on 127.0.0.1, shaped after the DMTF schema.

It serves a ServiceRoot, SessionService, UpdateService (SimpleUpdate that pulls the image and
MultipartHttpPushUri push), FirmwareInventory with LowestSupportedVersion downgrade rules,
TaskService with task monitors that move New -> Starting -> Running -> Completed/Exception,
ApplyTime Immediate / OnReset / maintenance windows, and a BMC reset that drops every
connection for a while after a BMC firmware update. Faults are read from a JSON file next to
the BMC's config on every request, so ``python -m lab fault bmc ...`` acts on a running BMC.

Run one BMC: ``python -m lab.bmcsim --config CONFIG.json`` (see :mod:`lab.bmcsim.config`).
"""
