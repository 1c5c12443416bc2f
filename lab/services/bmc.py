"""Lab service ``bmc``: simulated Redfish BMCs (lab.bmcsim) over HTTPS, a private CA, and an image server.

Each BMC listens on 127.0.0.1:8443+i with a certificate from the lab's CA (``ca.pem`` under the service
directory, passed to Ansible as ``everylayer_bmc_ca_path``). Firmware images for the lab's versions are
served over HTTP on 127.0.0.1:8459 for SimpleUpdate to pull, and kept on disk for multipart push. Both
shift by 100 per 10 of the lab's port base (base 2250 -> 8943.., 8959), so two labs do not collide.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from lab import procs
from lab.bmcsim import config as bmccfg
from lab.bmcsim import pki
from lab.bmcsim.images import make_image
from lab.services import LabContext, LabService

FIRST_PORT = 8443
IMAGE_PORT = 8459
BMCS = ("lab-bmc-01", "lab-bmc-02")
#: component -> versions the image server offers (the baseline is the first)
IMAGES = {
    "BMC": ["1.45.0", "1.46.0", "1.47.0", "1.20.0"],
    "BIOS": ["2.2.4", "2.3.0", "2.1.0"],
    "NIC1": ["25.5.6", "25.6.0"],
    "CPLD": ["3.1", "3.2"],
}


def image_name(component: str, version: str) -> str:
    return f"{component.lower()}-{version}.bin"


class BmcService(LabService):
    name = "bmc"

    def __init__(self, ports: list[int] | None = None, image_port: int | None = None):
        self._fixed_ports = ports
        self._fixed_image_port = image_port
        self.ports = ports or [FIRST_PORT + i for i in range(len(BMCS))]
        self.image_port = image_port or IMAGE_PORT

    def _place(self, ctx: LabContext) -> None:
        """Shift the default ports by 100 per 10 of the lab's port base (2200 -> 8443.., 2250 -> 8943..).

        Steps of 100 keep every lab's BMC ports clear of every lab's repository port (8480 + base step).
        """
        offset = (ctx.port_base - 2200) // 10 * 100
        self.ports = self._fixed_ports or [FIRST_PORT + offset + i for i in range(len(BMCS))]
        self.image_port = self._fixed_image_port or IMAGE_PORT + offset

    faults = {
        "task-fail-at": "task-fail-at BMC N: update tasks fail when they reach N percent",
        "image-rejected": "image-rejected BMC: the BMC rejects every image at verification",
        "never-back": "never-back BMC: the next BMC reset never ends (connections keep dropping)",
        "empty-202": "empty-202 BMC: update requests and task monitors answer 202 without a body (204 when done)",
        "task-failed-state": "task-failed-state BMC WORD: failed tasks end in TaskState WORD (e.g. Failed), status OK",
        "task-stuck-state": "task-stuck-state BMC WORD: update tasks stop in TaskState WORD without progress",
        "push-busy": "push-busy BMC: the UpdateService reports HttpPushUriTargetsBusy: true",
        "oem-updating": "oem-updating BMC: the UpdateService reports Oem.Hpe.State: Updating (as an HPE iLO flashing)",
        "update-refused": "update-refused BMC: update requests are answered 409 Base.1.22.ResourceInUse",
        "error-style": "error-style BMC STYLE: error bodies carry ids_only (no Message), code_only, or none (no body)",
        "third-version": "third-version BMC VERSION: an activated image comes up as VERSION instead of its own",
        "no-sessions": "no-sessions BMC: no SessionService (POST Sessions answers 404; basic auth still works)",
        "baseline": "baseline BMC: restore the baseline firmware versions and clear faults",
        "clear": "clear BMC: clear every fault (a BMC stuck in a reset comes back)",
    }

    def _paths(self, ctx: LabContext) -> dict[str, Path]:
        root = ctx.service_dir(self.name)
        return {"root": root, "pki": root / "pki", "images": root / "images"}

    def configs(self, ctx: LabContext) -> dict[str, dict]:
        self._place(ctx)
        paths = self._paths(ctx)
        ca_cert, ca_key = pki.ensure_ca(paths["pki"])
        found = {}
        for index, name in enumerate(BMCS):
            state_dir = paths["root"] / name
            state_dir.mkdir(parents=True, exist_ok=True)
            cert, key = pki.ensure_server_cert(paths["pki"], name, ca_cert, ca_key)
            conf = bmccfg.default_config(name, self.ports[index], str(cert), str(key), str(state_dir))
            conf["step_seconds"] = 0.3
            (state_dir / "config.json").write_text(json.dumps(conf, indent=1))
            found[name] = conf
        return found

    def _images(self, ctx: LabContext) -> Path:
        directory = self._paths(ctx)["images"]
        directory.mkdir(parents=True, exist_ok=True)
        for component, versions in IMAGES.items():
            for version in versions:
                path = directory / image_name(component, version)
                if not path.exists():
                    path.write_bytes(make_image(component, version))
        (directory / "corrupt.bin").write_bytes(b"this is not a firmware image\n")
        return directory

    def up(self, ctx: LabContext) -> list[dict[str, Any]]:
        self._place(ctx)
        images = self._images(ctx)
        if ctx.pid("bmc-images") is None:
            ctx.spawn(
                "bmc-images",
                [
                    sys.executable,
                    "-m",
                    "http.server",
                    str(self.image_port),
                    "--bind",
                    "127.0.0.1",
                    "--directory",
                    str(images),
                ],
                log=self._paths(ctx)["root"] / "images.log",
            )
        assets, configs = [], self.configs(ctx)
        for name, conf in configs.items():
            state_dir = Path(conf["state_dir"])
            if ctx.pid(name) is None:
                ctx.spawn(
                    name,
                    [sys.executable, "-m", "lab.bmcsim", "--config", str(state_dir / "config.json")],
                    cwd=ctx.repo_root,
                    log=state_dir / "bmc.log",
                )
            assets.append(self._asset(ctx, name, conf))
        listeners = [("bmc-images", self.image_port, self._paths(ctx)["root"] / "images.log")]
        listeners += [(name, c["port"], Path(c["state_dir"]) / "bmc.log") for name, c in configs.items()]
        for name, port, log in listeners:
            procs.wait_for_port("127.0.0.1", port, 15, name=f"lab service bmc: {name}", log=log)
        return assets

    def _asset(self, ctx: LabContext, name: str, conf: dict) -> dict[str, Any]:
        ca = self._paths(ctx)["pki"] / "ca.pem"
        return {
            "name": name,
            "address": "127.0.0.1",
            "port": conf["port"],
            "layers": ["firmware"],
            "groups": ["firmware", "redfish"],
            "platform": {
                "distribution": "redfish",
                "version": "1.15.0",
                "package_manager": None,
                "bmc_vendor": "everylayer-lab",
            },
            "criticality": "low",
            "exposure": "internal",
            "owner": "lab",
            "environment": "lab",
            "maintenance_window": None,
            "wave": None,
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,  # a literal: asset-map vars are not templated
                "everylayer_firmware_backend": "redfish",
                "everylayer_bmc_baseuri": f"https://127.0.0.1:{conf['port']}",
                "everylayer_bmc_username": conf["username"],
                "everylayer_bmc_password": conf["password"],
                "everylayer_bmc_ca_path": str(ca),
                "everylayer_firmware_image_base": f"http://127.0.0.1:{self.image_port}",
                "everylayer_firmware_image_dir": str(self._paths(ctx)["images"]),
            },
        }

    def down(self, ctx: LabContext) -> None:
        for name in (*BMCS, "bmc-images"):
            ctx.kill(name)

    def status(self, ctx: LabContext) -> dict[str, Any]:
        self._place(ctx)
        report = {}
        for index, name in enumerate(BMCS):
            conf = {"state_dir": str(self._paths(ctx)["root"] / name)}
            report[name] = {"pid": ctx.pid(name), "port": self.ports[index], "faults": bmccfg.read_faults(conf)}
        report["bmc-images"] = {"pid": ctx.pid("bmc-images"), "port": self.image_port}
        return report

    def inject(self, ctx: LabContext, fault: str, target: str, args: list[str]) -> str:
        if target not in BMCS:
            raise ValueError(f"unknown BMC {target!r}; the lab has {', '.join(BMCS)}")
        conf = {"state_dir": str(self._paths(ctx)["root"] / target)}
        faults = bmccfg.read_faults(conf)
        keep = {"baseline_epoch": faults.get("baseline_epoch", 0)}
        if fault == "task-fail-at":
            if not args or not args[0].isdigit():
                raise ValueError("task-fail-at needs a percentage, e.g. task-fail-at lab-bmc-01 55")
            faults["task_fail_at"] = int(args[0])
        elif fault == "image-rejected":
            faults["image_rejected"] = True
        elif fault == "never-back":
            faults["never_back"] = True
        elif fault in FLAGS:
            faults[FLAGS[fault]] = True
        elif fault in WORDS:
            if not args:
                raise ValueError(f"{fault} needs a value, e.g. {self.faults[fault].split(':')[0]}")
            faults[WORDS[fault]] = args[0]
        elif fault == "clear":
            faults = keep
        elif fault == "baseline":
            faults = {"baseline_epoch": keep["baseline_epoch"] + 1}
        else:
            raise ValueError(f"service bmc has no fault {fault!r}; faults: {', '.join(self.faults)}")
        bmccfg.write_faults(conf, faults)
        return f"bmc {target}: {fault} {' '.join(args)}".rstrip()


#: faults that switch a misbehaviour on, and faults that take one word (fault name -> key in faults.json)
FLAGS = {
    "empty-202": "empty_202",
    "push-busy": "push_targets_busy",
    "oem-updating": "oem_updating",
    "update-refused": "update_refused",
    "no-sessions": "no_sessions",
}
WORDS = {
    "task-failed-state": "task_failed_state",
    "task-stuck-state": "task_stuck_state",
    "error-style": "error_style",
    "third-version": "third_version",
}

SERVICE = BmcService()
