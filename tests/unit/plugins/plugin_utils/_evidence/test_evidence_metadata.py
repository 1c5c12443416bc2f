"""Run metadata: ticket and approver from extra vars, AWX job from extra vars and environment, runner ident."""

from ansible_collections.everylayer.patch.plugins.plugin_utils._evidence.metadata import run_metadata


def test_ticket_approver_and_awx(tmp_path):
    playbook = tmp_path / "site.yml"
    playbook.write_text("---\n")
    extra = {
        "change_id": "CHG-42",
        "approver": "bob",
        "awx_job_id": 17,
        "awx_job_template_name": "Patch Tuesday",
        "awx_user_name": "carol",
    }
    env = {"JOB_ID": "17", "PROJECT_REVISION": "deadbeef", "AWX_ISOLATED_DATA_DIR": "/runner/artifacts/17"}
    meta = run_metadata(
        str(playbook), extra, ["change_id", "change_ticket"], ["change_approver", "approver"], environ=env
    )
    assert meta["change_ticket"] == "CHG-42" and meta["approver"] == "bob" and meta["user"] == "carol"
    assert (
        meta["awx"]["awx_job_id"] == 17
        and meta["awx"]["job_id"] == "17"
        and meta["awx"]["project_revision"] == "deadbeef"
    )
    assert meta["runner"]["ident"] == "17" and meta["git"] == {}


def test_plain_run_has_no_awx(tmp_path):
    meta = run_metadata(None, {}, ["change_id"], ["approver"], environ={})
    assert "awx" not in meta and meta["change_ticket"] is None and meta["user"]
