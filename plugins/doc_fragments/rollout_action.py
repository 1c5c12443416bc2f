# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attributes shared by the rollout's controller-side actions (rollout_start, rollout_host_plan, rollout_gate,
rollout_decision); paired with RolloutAction in plugins/plugin_utils/_rollout/action_base.py."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    description: Decides the same in check mode (a gate counts planned hosts as attempted); changes nothing anywhere.
  diff_mode:
    support: none
    description: Nothing changes.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller (action plugin); never connects to the host.
"""

    # the wave a per-wave or per-host action works on (extends_documentation_fragment: everylayer.patch.rollout_action.wave)
    WAVE = r"""
options:
  wave:
    description: The wave's name.
    type: str
    required: true
"""
