# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Redfish connection options of the modules that talk to a BMC.

Paired with ``REDFISH_CONNECTION_ARG_SPEC`` in plugins/module_utils/_firmware/options.py.
"""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  baseuri:
    description:
      - The BMC's address, C(https://host[:port]) (C(https://) is assumed without a scheme).
      - Like the other connection options, set it once for a play with
        C(module_defaults) for C(group/everylayer.patch.redfish); the rollout and rollback playbooks map the host
        variables C(everylayer_bmc_baseuri), C(everylayer_bmc_username), C(everylayer_bmc_password) and
        C(everylayer_bmc_ca_path) to them.
    type: str
  username:
    description: BMC user name.
    type: str
  password:
    description: BMC password.
    type: str
  auth:
    description: V(session) logs in through the SessionService (X-Auth-Token); V(basic) sends HTTP basic auth.
    type: str
    default: session
    choices: [session, basic]
  validate_certs:
    description: Verify the BMC's TLS certificate. Set V(false) only for a lab BMC you trust.
    type: bool
    default: true
  ca_path:
    description: A PEM CA bundle to verify the BMC's certificate against (for a BMC with a private CA).
    type: path
  use_proxy:
    description: Use the proxy from the environment to reach the BMC.
    type: bool
    default: true
  request_timeout:
    description: Seconds to wait for one HTTP request.
    type: int
    default: 30
"""
