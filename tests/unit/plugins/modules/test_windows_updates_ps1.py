"""windows_updates.ps1 checked without PowerShell: parsed with the tree-sitter PowerShell grammar (a syntax error
fails here), and its contract - options in, result keys out - compared with what the action plugin sends and
what the lab's WUA model (lab/winsim/wua.py, the simulator's answers) returns."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._windows import argspec

from lab.winsim import wua

tree_sitter = pytest.importorskip("tree_sitter")
tsp = pytest.importorskip("tree_sitter_powershell")

PS1 = Path(__file__).resolve().parents[4] / "plugins" / "modules" / "windows_updates.ps1"
PARSER = tree_sitter.Parser(tree_sitter.Language(tsp.language()))


def _tree(source: bytes):
    return PARSER.parse(source)


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


def _text(node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode()


def _errors(tree, source: bytes) -> list[str]:
    return [
        f"line {n.start_point[0] + 1}: {_text(n, source)[:60]!r}"
        for n in _walk(tree.root_node)
        if n.type == "ERROR" or n.is_missing
    ]


@pytest.fixture(scope="module")
def ps1():
    source = PS1.read_bytes()
    return source, _tree(source)


def _function(tree, source, name):
    for node in _walk(tree.root_node):
        if node.type == "function_statement":
            fname = next(c for c in node.children if c.type == "function_name")
            if _text(fname, source).lower() == name.lower():
                return node
    raise AssertionError(f"function {name} not found in {PS1.name}")


def _hash_keys(node, source) -> list[list[str]]:
    """The keys of every hashtable literal under node, outermost first (nested ones listed separately)."""
    out = []
    for hash_node in (n for n in _walk(node) if n.type == "hash_literal_expression"):
        body = next((c for c in hash_node.children if c.type == "hash_literal_body"), None)
        keys = (
            []
            if body is None
            else [
                _text(next(k for k in entry.children if k.type == "key_expression"), source)
                for entry in body.children
                if entry.type == "hash_entry"
            ]
        )
        out.append(keys)
    return out


def test_module_parses_without_errors(ps1):
    source, tree = ps1
    assert not tree.root_node.has_error, _errors(tree, source)


def test_the_check_catches_a_syntax_error(ps1):
    source, _ = ps1
    broken = source.replace(b"switch ($operation) {", b"switch ($operation) {{", 1)
    assert broken != source
    assert _tree(broken).root_node.has_error


def test_module_uses_ansible_basic_and_the_wua_com_api(ps1):
    source, _ = ps1
    text = source.decode()
    assert "#AnsibleRequires -CSharpUtil Ansible.Basic" in text
    for com in ("Microsoft.Update.Session", "Microsoft.Update.UpdateColl", "Microsoft.Update.SystemInfo"):
        assert f"New-Object -ComObject {com}" in text
    for call in (
        "CreateUpdateSearcher()",
        "CreateUpdateDownloader()",
        "CreateUpdateInstaller()",
        ".Uninstall()",
        ".QueryHistory(0, $count)",
    ):
        assert call in text


def test_option_spec_matches_the_model_and_the_controller(ps1, target_calls):
    source, tree = ps1
    spec = _hash_keys(tree.root_node, source)
    # the first hashtable is $spec, the second its options
    options = spec[1]
    assert set(options) == {
        "operation",
        "server_selection",
        "include_installed",
        "update_ids",
        "kbs",
        "package_identities",
    }
    text = source.decode()
    choices = re.search(r"operation = @\{[^}]*choices = ([^}]*)\}", text).group(1)
    assert [c.strip(" '") for c in choices.split(",")] == list(wua.OPERATIONS)
    selections = re.search(r"server_selection = @\{[^}]*choices = ([^}]*)\}", text).group(1)
    assert [c.strip(" '") for c in selections.split(",")] == list(wua.SERVER_SELECTIONS)
    assert list(wua.SERVER_SELECTIONS) == argspec.ARGUMENT_SPEC["server_selection"]["choices"]
    sent = {key for _op, args in target_calls for key in args} | {"operation"}
    assert sent <= set(options), f"the controller sends options the module does not take: {sent - set(options)}"


def test_update_shape_matches_the_model(ps1):
    source, tree = ps1
    keys = max(_hash_keys(_function(tree, source, "ConvertTo-UpdateInfo"), source), key=len)
    state = wua.initial_state()
    model_keys = wua._public(state["catalogue"][0], state).keys()
    assert set(keys) == set(model_keys)


def test_operation_result_and_history_shapes_match_the_model(ps1):
    source, tree = ps1
    result_keys = max(_hash_keys(_function(tree, source, "Get-OperationResult"), source), key=len)
    update = wua.initial_state()["catalogue"][0]
    assert set(result_keys) == set(wua._result(update, 2, "0x0"))
    history_hashes = [keys for keys in _hash_keys(tree.root_node, source) if "operation" in keys and "date" in keys]
    assert len(history_hashes) == 1
    assert set(history_hashes[0]) == set(wua._history(update, "install", 2, "0x0"))


def test_result_keys_per_operation_match_the_model(ps1, tmp_path):
    source, _ = ps1
    set_keys = set(re.findall(r"\$module\.Result\.(\w+)\s*=", source.decode()))
    model = wua.Model(tmp_path)
    produced = set()
    for op, extra in (
        ("search", {"include_installed": True}),
        ("history", {}),
        ("download", {"update_ids": [wua.initial_state()["catalogue"][0]["id"]]}),
    ):
        produced |= set(model.module({"operation": op, **extra}))
    produced.discard("failed")
    assert produced <= set_keys | {"changed"}, produced - set_keys
    assert {"updates", "installed", "results", "history", "reboot_required", "hresult"} <= set_keys


def test_dism_removal_matches_the_model(ps1, tmp_path):
    """Remove-UpdatePackage: DISM Remove-WindowsPackage on the identity the call names, the result shaped like the
    model's DISM answer (lab/winsim/wua.py) for an update WUA will not uninstall."""
    source, tree = ps1
    function = _function(tree, source, "Remove-UpdatePackage")
    body = _text(function, source)
    assert "Remove-WindowsPackage -Online -PackageName $Identity -NoRestart -ErrorAction Stop" in body
    assert "RestartNeeded" in body
    keys = set(max(_hash_keys(function, source), key=len))
    keys |= set(re.findall(r"\$entry\.(\w+)\s*=", body))
    model = wua.Model(tmp_path)
    state = model.load()
    cu = next(u for u in state["catalogue"] if not u["uninstallable"] and u.get("package_identity"))
    model.module({"operation": "install", "update_ids": [cu["id"]]})
    ok = model.module(
        {"operation": "uninstall", "kbs": [cu["kb"]], "package_identities": {cu["kb"]: cu["package_identity"]}}
    )
    wrong = model.module({"operation": "install", "update_ids": [cu["id"]]}) and model.module(
        {"operation": "uninstall", "kbs": [cu["kb"]], "package_identities": {cu["kb"]: "Package_bogus"}}
    )
    assert ok["results"][0]["method"] == "dism" and ok["results"][0]["result_code"] == 2
    assert set(ok["results"][0]) | set(wrong["results"][0]) == keys
    # the uninstall branch calls it only for a KB WUA will not remove and the caller named a package for
    text = source.decode()
    assert "-not $match[0].IsUninstallable -and $module.Params.package_identities.ContainsKey($kb)" in text


def test_install_results_carry_the_package_identity(ps1, tmp_path):
    source, _ = ps1
    assert "$entry.package_identity = " in source.decode()
    model = wua.Model(tmp_path)
    first = model.load()["catalogue"][0]
    result = model.module({"operation": "install", "update_ids": [first["id"]]})["results"][0]
    assert result["package_identity"] == first["package_identity"]


@pytest.fixture(scope="module")
def target_calls(tmp_path_factory):
    """Every (operation, args) the controller's loop sends in a patch, rollback and resume run."""
    from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.runner import Run
    from ansible_collections.everylayer.patch.plugins.plugin_utils._windows.selection import Selection
    from helpers.winsim_target import ModelTarget

    target = ModelTarget(wua.Model(tmp_path_factory.mktemp("wua")))
    target.faults(drop_during_install=1)
    Run(target, Selection(), reboot=True).execute()
    Run(target, Selection(), state="rolled_back", kbs=["KB4470788"]).execute()
    Run(
        target,
        Selection(),
        state="rolled_back",
        kbs=["KB5099001"],
        package_identities={"KB5099001": "Package_for_RollupFix~31bf3856ad364e35~amd64~~17763.9999.1.0"},
    ).execute()
    Run(target, Selection(update_ids=[wua.initial_state()["catalogue"][0]["id"]]), state="scanned").execute()
    Run(target, Selection(), state="downloaded").execute()
    return target.calls


def test_the_classification_is_the_category_of_type_update_classification(ps1):
    source, tree = ps1
    body = _text(_function(tree, source, "ConvertTo-UpdateInfo"), source)
    # ICategory.Type: UpdateClassification for Security Updates, Definition Updates...; Product for the products
    assert re.search(r"\$_\.Type -eq 'UpdateClassification'", body)
    assert re.search(r"classification = \$classification", body)
    state = wua.initial_state()
    assert {wua._public(u, state)["classification"] for u in state["catalogue"]} == {
        "Security Updates",
        "Definition Updates",
        "Update Rollups",
    }
