# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to everylayer.patch: may change without notice.
"""Controller-side logic of the ``everylayer.patch.assets`` inventory plugin.

``sources`` reads asset records, ``record`` validates them, ``merge`` joins them by identity,
``waves`` places them in rollout waves, ``groups`` names their groups and ``build`` ties it together.
"""
