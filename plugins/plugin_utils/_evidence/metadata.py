# Private to everylayer.patch: may change without notice.
# Copyright: (c) 2026, everylayer.patch contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who ran what, from where: the metadata of a run's first record."""

from __future__ import annotations

import getpass
import os
import socket
import subprocess

# AWX/AAP pass these as extra vars (awx_meta_vars); tower_* are the older spellings of the same values.
AWX_EXTRA_VARS = (
    "awx_job_id",
    "awx_job_template_id",
    "awx_job_template_name",
    "awx_user_name",
    "awx_user_email",
    "awx_job_launch_type",
    "awx_project_revision",
    "awx_project_scm_branch",
    "awx_inventory_id",
    "awx_inventory_name",
    "awx_workflow_job_id",
    "awx_workflow_job_name",
    "awx_execution_node",
    "tower_job_id",
    "tower_job_template_name",
    "tower_user_name",
)
# AWX sets these in the job's environment; ansible-runner sets AWX_ISOLATED_DATA_DIR to artifacts/<ident>.
AWX_ENV = ("JOB_ID", "INVENTORY_ID", "PROJECT_REVISION", "AWX_HOST")


def git_commit(path) -> dict:
    """The commit and cleanliness of the git work tree holding ``path``, or ``{}`` outside one."""
    directory = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    try:
        commit = subprocess.run(
            ["git", "-C", directory, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        )
        status = subprocess.run(
            ["git", "-C", directory, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}


def run_metadata(playbook_path, extra_vars, ticket_vars, approver_vars, environ=None, check_mode=False) -> dict:
    environ = os.environ if environ is None else environ
    extra_vars = dict(extra_vars or {})
    meta = {
        "user": _user(environ),
        "controller": socket.getfqdn(),
        "pid": os.getpid(),
        "playbook": os.path.abspath(playbook_path) if playbook_path else None,
        "git": git_commit(playbook_path) if playbook_path else {},
        "change_ticket": _first(extra_vars, ticket_vars),
        "approver": _first(extra_vars, approver_vars),
        "check_mode": bool(check_mode),
    }
    try:
        from ansible.release import __version__ as ansible_version
    except ImportError:  # pragma: no cover
        ansible_version = None
    meta["ansible_version"] = ansible_version
    awx = {key: extra_vars[key] for key in AWX_EXTRA_VARS if extra_vars.get(key) not in (None, "")}
    awx.update({key.lower(): environ[key] for key in AWX_ENV if environ.get(key)})
    if awx:
        meta["awx"] = awx
        meta["user"] = awx.get("awx_user_name") or awx.get("tower_user_name") or meta["user"]
    artifacts = environ.get("AWX_ISOLATED_DATA_DIR")
    if artifacts:
        meta["runner"] = {"ident": os.path.basename(artifacts.rstrip("/")), "artifact_dir": artifacts}
    return meta


def _user(environ) -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return environ.get("USER") or str(os.getuid())


def _first(extra_vars, names):
    for name in names or ():
        value = extra_vars.get(name)
        if value not in (None, ""):
            return str(value)
    return None
