"""Synthetic CMDB export (CSV) plus an overlay (YAML) of N assets, and the configs that read them."""

from __future__ import annotations

import csv
import random

import yaml

PLATFORMS = [
    ("debian", "12", "apt"),
    ("ubuntu", "22.04", "apt"),
    ("rhel", "9", "dnf"),
    ("sles", "15", "zypper"),
    ("windows", "2022", "wua"),
]
CRITICALITY = ["low", "medium", "high", "critical"]
WINDOWS = ["sat-22", "sun-02", "sun-04", "wed-23"]
COLUMNS = ["hostname", "ip", "serial_no", "os_name", "os_version", "pkg_mgr", "tier", "team", "env", "window", "layers"]

ASSETS_CONFIG = """plugin: everylayer.patch.assets
sources:
  - name: overlay
    path: overlay.yml
  - name: cmdb
    path: cmdb.csv
    fields:
      name: hostname
      address: ip
      serial: serial_no
      platform.distribution: os_name
      platform.version: os_version
      platform.package_manager: pkg_mgr
      criticality: tier
      owner: team
      environment: env
      maintenance_window: window
"""

CONSTRUCTED_CONFIG = """plugin: ansible.builtin.constructed
strict: false
keyed_groups:
  - {key: asset.layers, prefix: layer}
  - {key: asset.platform.distribution, prefix: platform}
  - {key: asset.criticality, prefix: criticality}
  - {key: asset.wave, prefix: wave}
  - {key: asset.maintenance_window, prefix: window}
"""


def generate(size, workdir):
    rng = random.Random(size)
    with open(workdir / "cmdb.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for index in range(size):
            distribution, version, manager = PLATFORMS[index % len(PLATFORMS)]
            layers = "windows" if distribution == "windows" else ("os;firmware" if index % 7 == 0 else "os")
            writer.writerow(
                [
                    f"host{index:06d}.example.net",
                    f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}",
                    f"SN{index:08d}",
                    distribution,
                    version,
                    manager,
                    rng.choice(CRITICALITY),
                    f"team-{index % 25}",
                    "prod" if index % 3 else "test",
                    WINDOWS[index % len(WINDOWS)],
                    layers,
                ]
            )
    overlay = []
    for index in range(0, size, 2):
        entry = {
            "name": f"host{index:06d}.example.net",
            "exposure": "internet" if index % 10 == 0 else "internal",
            "components": {"openssl": f"3.0.{index % 15}", "kernel": f"6.1.{index % 120}"},
        }
        if index % 100 == 0:
            entry["owner"] = "team-security"  # differs from the CMDB: a conflict to report
        if index % 50 == 0:
            entry["wave"] = "pilot"
        overlay.append(entry)
    with open(workdir / "overlay.yml", "w", encoding="utf-8") as handle:
        yaml.dump(overlay, handle, Dumper=yaml.CSafeDumper, default_flow_style=False)
    (workdir / "assets.yml").write_text(ASSETS_CONFIG, encoding="utf-8")
    (workdir / "cached_assets.yml").write_text(
        ASSETS_CONFIG + "cache: true\ncache_plugin: ansible.builtin.jsonfile\n"
        f"cache_connection: {workdir / 'cache'}\ncache_timeout: 0\n",
        encoding="utf-8",
    )
    (workdir / "constructed.yml").write_text(CONSTRUCTED_CONFIG, encoding="utf-8")
    (workdir / "floor.yml").write_text("plugin: bare_floor\npath: floor.json\n", encoding="utf-8")
