# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Governance: advisory intelligence (OSV, KEV, EPSS, CVSS), risk tiers and SLAs, baselines, exceptions,
compliance metrics from the evidence. Controller side; docs/governance.md describes the policy and every metric."""
