"""extensions/awx (AWX as code): every playbook, variable and credential field the objects name exists, and every
survey answer AWX can send passes the roles' argument specs (roles/*/meta/argument_specs.yml)."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

REPO = Path(__file__).resolve().parents[3]
AWX = REPO / "extensions" / "awx"
OBJECTS = yaml.safe_load((AWX / "objects.yml").read_text())
CONFIGURE = yaml.safe_load((AWX / "configure.yml").read_text())[0]
SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
# Environment variables read by software other than the collection: libpq reads PGPASSWORD.
FOREIGN_ENV = {"PGPASSWORD"}


def role_options() -> dict[str, dict]:
    """Every option of every entry point of every role: name -> spec (the same name has one spec across roles)."""
    options: dict[str, dict] = {}
    for path in sorted(REPO.glob("roles/*/meta/argument_specs.yml")):
        for entry in yaml.safe_load(path.read_text())["argument_specs"].values():
            for name, spec in (entry.get("options") or {}).items():
                options.setdefault(name, spec)
    return options


OPTIONS = role_options()


def callback_vars() -> set[str]:
    """The extra vars the evidence callback reads as the change ticket and the approver (its option defaults)."""
    source = (REPO / "plugins" / "callback" / "evidence.py").read_text()
    doc = yaml.safe_load(re.search(r'DOCUMENTATION = r"""(.*?)"""', source, re.S).group(1))
    return {v for key in ("ticket_vars", "approver_vars") for v in doc["options"][key]["default"]}


def played_text(playbook: str) -> str:
    """The playbook, the playbooks it imports and every role's tasks and defaults: what can read a variable."""
    texts, todo, seen = [], [REPO / playbook], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        text = path.read_text()
        texts.append(text)
        todo += [path.parent / m for m in re.findall(r"import_playbook:\s*([\w./-]+\.yml)", text)]
    texts += [p.read_text() for p in REPO.glob("roles/*/tasks/*.yml")]
    texts += [p.read_text() for p in REPO.glob("roles/*/defaults/*.yml")]
    return "\n".join(texts)


def read_by(playbook: str, variable: str) -> bool:
    return bool(re.search(rf"\b{re.escape(variable)}\b", played_text(playbook))) or variable in callback_vars()


def answers(question: dict) -> list:
    """The answers AWX can send for a question: its default, each choice, and a typical value of its type."""
    kind = question["type"]
    found = [question["default"]] if "default" in question else []
    if kind == "multiplechoice":
        found += list(question["choices"])
    elif kind == "multiselect":
        found += [list(question["choices"]), question["choices"][:1]]
    elif kind == "integer":
        found += [question.get("min", 0), question.get("max", 10)]
    elif kind == "float":
        found += [0.5]
    else:
        found += ["lab-agent,lab-cron"]
    return found


def templates():
    return OBJECTS["awx_job_templates"]


def all_questions():
    for jt in templates():
        for q in jt.get("survey") or []:
            yield jt["playbook"], jt["name"], q
    for q in OBJECTS["awx_workflow"]["survey"]:
        for node in OBJECTS["awx_workflow"]["nodes"]:
            if "job_template" in node:
                jt = next(t for t in templates() if t["name"] == node["job_template"])
                if jt["playbook"].endswith("rollout.yml"):
                    yield jt["playbook"], OBJECTS["awx_workflow"]["name"], q


def test_every_template_names_a_playbook_of_the_repository():
    for jt in templates():
        assert (REPO / jt["playbook"]).is_file(), f"{jt['name']}: no playbook {jt['playbook']}"
    assert {jt["playbook"] for jt in templates()} == {
        "playbooks/scan.yml",
        "playbooks/rollout.yml",
        "playbooks/rollback.yml",
        "playbooks/report.yml",
    }


QUESTIONS = list(all_questions())


@pytest.mark.parametrize(
    ("playbook", "owner", "question"), QUESTIONS, ids=[f"{o}:{q['variable']}" for _, o, q in QUESTIONS]
)
def test_survey_question_is_well_formed_and_its_answers_pass_the_argument_spec(playbook, owner, question):
    assert {"question_name", "variable", "type", "required"} <= set(question), f"{owner}: {question}"
    assert question["type"] in SURVEY_TYPES, f"{owner}: {question['variable']}: unknown survey type"
    if question["type"] in ("multiplechoice", "multiselect"):
        assert question["choices"], f"{owner}: {question['variable']}: no choices"
        if "default" in question:
            assert question["default"] in question["choices"], f"{owner}: {question['variable']}: default not a choice"
    variable = question["variable"]
    if variable in OPTIONS:
        spec = {k: v for k, v in OPTIONS[variable].items() if k in ("type", "elements", "choices")}
        for answer in answers(question):
            result = ArgumentSpecValidator({variable: spec}).validate({variable: answer})
            assert not result.error_messages, (
                f"{owner}: {variable}={answer!r} ({question['type']}): {result.error_messages}"
            )
    else:
        assert read_by(playbook, variable), f"{owner}: survey variable {variable} is read by nothing {playbook} runs"


def test_template_extra_vars_are_read_and_waves_exist():
    waves = {w["name"] for w in yaml.safe_load((REPO / "roles/rollout/defaults/main.yml").read_text())["rollout_waves"]}
    for jt in templates():
        for name, value in (jt.get("extra_vars") or {}).items():
            assert name in OPTIONS or read_by(jt["playbook"], name), (
                f"{jt['name']}: extra var {name} is read by nothing"
            )
            if name in OPTIONS:
                spec = {k: v for k, v in OPTIONS[name].items() if k in ("type", "elements", "choices")}
                assert not ArgumentSpecValidator({name: spec}).validate({name: value}).error_messages
        if jt["playbook"].endswith("rollout.yml"):
            assert jt["extra_vars"]["rollout_run_waves"] in waves, jt["name"]
    assert sorted(jt["extra_vars"]["rollout_run_waves"] for jt in templates() if "rollout" in jt["playbook"]) == sorted(
        waves
    )


def _refs(value: str) -> set[str]:
    return set(re.findall(r"\{\{\s*([\w.]+)", value))


@pytest.mark.parametrize("ctype", OBJECTS["awx_credential_types"], ids=lambda c: c["name"])
def test_credential_type_injectors_use_its_fields_and_reach_the_collection(ctype):
    fields = {f["id"]: f for f in ctype["inputs"]["fields"]}
    assert set(ctype["inputs"]["required"]) <= set(fields)
    assert ctype["kind"] in ("cloud", "net")
    for fid, field in fields.items():
        if re.search(r"password|secret|token|key", fid):
            assert field.get("secret") is True, f"{ctype['name']}: {fid} must be secret"
    files = {k.removeprefix("template.") for k in ctype["injectors"].get("file", {})}
    used = set()
    for section in ("file", "env", "extra_vars"):
        for name, template in ctype["injectors"].get(section, {}).items():
            for ref in _refs(template):
                if ref.startswith("tower.filename."):
                    assert ref.removeprefix("tower.filename.") in files, f"{ctype['name']}: {name}: {ref}"
                else:
                    assert ref in fields, f"{ctype['name']}: {name} names no field {ref}"
                    used.add(ref)
    assert used == set(fields), f"{ctype['name']}: fields never injected: {set(fields) - used}"
    plugins = "\n".join(p.read_text() for p in (REPO / "plugins").rglob("*.py"))
    for env in ctype["injectors"].get("env", {}):
        assert not env.startswith("ANSIBLE_"), f"{ctype['name']}: AWX refuses ANSIBLE_* in custom injectors"
        assert env in FOREIGN_ENV or env in plugins, f"{ctype['name']}: nothing reads {env}"
    group_vars = yaml.safe_dump(OBJECTS["awx_group_vars"])
    for var in ctype["injectors"].get("extra_vars", {}):
        assert var in group_vars or read_by("playbooks/rollout.yml", var), f"{ctype['name']}: nothing reads {var}"


def test_layer_group_vars_read_every_injected_connection_var():
    injected = {v for c in OBJECTS["awx_credential_types"] for v in c["injectors"].get("extra_vars", {})}
    refs = {r for g in OBJECTS["awx_group_vars"].values() for v in g.values() for r in _refs(str(v))}
    assert refs <= injected, refs - injected
    assert {v for v in injected if v.startswith(("everylayer_net_", "everylayer_winrm_"))} <= refs


def test_template_credentials_are_variables_of_the_configure_playbook():
    defined = set(CONFIGURE["vars"])
    for jt in templates():
        for cred in jt["credentials"]:
            assert _refs(cred) <= defined, f"{jt['name']}: {cred}"
    assert OBJECTS["awx_task_env"]["ANSIBLE_CALLBACKS_ENABLED"] == "everylayer.patch.evidence"


def test_workflow_is_pilot_approval_staged_approval_full_with_rollbacks():
    nodes = {n["identifier"]: n for n in OBJECTS["awx_workflow"]["nodes"]}
    assert len(nodes) == len(OBJECTS["awx_workflow"]["nodes"])
    names = {jt["name"] for jt in templates()}
    for node in nodes.values():
        assert ("job_template" in node) != ("approval" in node), node
        assert "job_template" not in node or node["job_template"] in names, node
        for nxt in node.get("success", []) + node.get("failure", []):
            assert nxt in nodes, f"{node['identifier']} -> {nxt}"
    path, node = [], nodes["pilot"]
    while True:
        path.append(node.get("job_template") or "approval")
        if not node.get("success"):
            break
        node = nodes[node["success"][0]]
    assert path == [
        "everylayer wave pilot",
        "approval",
        "everylayer wave staged",
        "approval",
        "everylayer wave full",
    ]
    for wave in ("pilot", "staged", "full"):
        (rollback,) = nodes[wave]["failure"]
        assert nodes[rollback]["job_template"] == "everylayer rollback"
    rollback = next(jt for jt in templates() if jt["name"] == "everylayer rollback")
    assert "evidence.run_id" in rollback["extra_vars"]["rollback_run_id"]  # the failed wave's receipt artifact


def test_configure_renders_the_workflow_nodes_awx_expects():
    task = next(t for t in CONFIGURE["tasks"] if "awx.awx.workflow_job_template" in t)
    template = task["awx.awx.workflow_job_template"]["workflow_nodes"]
    rendered = (
        jinja2.Environment(extensions=["jinja2.ext.do"])
        .from_string(template)
        .render(awx_workflow=OBJECTS["awx_workflow"], awx_organization="Default")
    )
    nodes = {n["identifier"]: n for n in yaml.safe_load(rendered)}
    assert nodes["pilot"]["unified_job_template"] == {
        "name": "everylayer wave pilot",
        "type": "job_template",
        "organization": {"name": "Default"},
    }
    assert nodes["pilot"]["related"] == {
        "success_nodes": [{"identifier": "approve-staged"}],
        "failure_nodes": [{"identifier": "rollback-pilot"}],
    }
    assert nodes["approve-full"]["unified_job_template"]["type"] == "workflow_approval"
    modules = {k for t in CONFIGURE["tasks"] for k in t if k.startswith("awx.awx.")}
    assert modules == {
        "awx.awx.credential_type",
        "awx.awx.execution_environment",
        "awx.awx.project",
        "awx.awx.group",
        "awx.awx.settings",
        "awx.awx.job_template",
        "awx.awx.workflow_job_template",
    }
