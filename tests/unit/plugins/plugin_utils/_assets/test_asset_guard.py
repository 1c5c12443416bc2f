"""Asset data is data: protected host variables, host names, addresses, sizes, alias bombs, encodings, empty exports.

Each case is an attack or a bad export that the asset map used to accept (issue 19): a CMDB column that ran a
command on the controller, a name that ssh would read as an option, an alias bomb that grew past 13 GB.
"""

import pytest
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.build import AssetMap
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.guard import short
from ansible_collections.everylayer.patch.plugins.plugin_utils._assets.record import AssetInputError

PROXY = '"-oProxyCommand=touch /tmp/pwned"'


def build(tmp_path, text, name="cmdb.csv", allow_vars=None, **source):
    (tmp_path / name).write_text(text) if isinstance(text, str) else (tmp_path / name).write_bytes(text)
    spec = {"name": "cmdb", "path": name, **source}
    return AssetMap([spec], str(tmp_path), allow_vars=allow_vars).build()


def error_of(tmp_path, text, **kwargs):
    with pytest.raises(AssetInputError) as caught:
        build(tmp_path, text, **kwargs)
    return str(caught.value)


def hostvars(data, host):
    return next(own for name, own, *_ in data["hosts"] if name == host)


@pytest.mark.parametrize(
    "column, value",
    [
        ("vars.ansible_ssh_common_args", PROXY),
        ("vars.ansible_ssh_extra_args", PROXY),
        ("vars.ansible_connection", "local"),
        ("vars.ansible_become", "true"),
        ("vars.ansible_become_exe", "/tmp/x"),
        ("vars.ansible_python_interpreter", "/tmp/x"),
        ("vars.ansible_shell_executable", "/tmp/x"),
        ("vars.ansible_user", "root"),
        ("vars.everylayer_evidence_required", "false"),
        ("vars.rollout_allow_empty", "true"),
        ("vars.asset", "x"),
        ("vars.environment", "x"),
    ],
)
def test_protected_host_variable_from_a_cmdb_is_refused_with_file_and_line(tmp_path, column, value):
    message = error_of(tmp_path, f"name,address,{column}\nweb-01,10.0.0.1,{value}\n")
    variable = column.partition(".")[2]
    assert "cmdb.csv line 2" in message
    assert f"host variable {variable}" in message
    assert "allow_vars" in message


def test_allow_vars_of_the_source_or_the_plugin_lets_a_trusted_source_set_it(tmp_path):
    text = f"name,address,vars.ansible_ssh_common_args,vars.ansible_user\nweb-01,10.0.0.1,{PROXY},deploy\n"
    (tmp_path / "cmdb.csv").write_text(text)
    source = {"name": "cmdb", "path": "cmdb.csv", "allow_vars": ["ansible_ssh_*"]}
    built = AssetMap([source], str(tmp_path), allow_vars=["ansible_user"]).build()
    own = hostvars(built, "web-01")
    assert own["ansible_ssh_common_args"] == "-oProxyCommand=touch /tmp/pwned"
    assert own["ansible_user"] == "deploy"
    assert built["report"]["host_vars"] == {"cmdb": {"ansible_ssh_common_args": 1, "ansible_user": 1}}


def test_plain_variables_pass_and_are_reported(tmp_path):
    data = build(tmp_path, "name,vars.rack,vars.ansible_host\nweb-01,r12,10.0.0.1\nweb-02,r13,10.0.0.2\n")
    assert hostvars(data, "web-02") == {"rack": "r13", "ansible_host": "10.0.0.2"}
    assert data["report"]["host_vars"] == {"cmdb": {"rack": 2, "ansible_host": 2}}


def test_a_template_in_a_cmdb_value_stays_text(tmp_path):
    data = build(tmp_path, "name,vars.note\nweb-01,{{ lookup('pipe' 'id') }}\n")
    assert hostvars(data, "web-01")["note"] == "{{ lookup('pipe' 'id') }}"


@pytest.mark.parametrize("bad", ["rack-no", "1rack", "x" * 129])
def test_invalid_variable_names_are_refused(tmp_path, bad):
    assert "is not a valid Ansible variable name" in error_of(tmp_path, f"name,vars.{bad}\nweb-01,x\n")


def test_a_huge_variable_value_is_refused_and_the_message_stays_short(tmp_path):
    message = error_of(tmp_path, f"name,vars.blob\nweb-01,{'A' * 20000}\n")
    assert "at most 16384" in message
    assert len(message) < 400


@pytest.mark.parametrize(
    "name", ["-oProxyCommand=touch", "web;id", "web$(id)", "web/01", "-web", "web-", "a" * 64 + ".example.com"]
)
def test_host_names_are_rfc_1123(tmp_path, name):
    assert "is not a valid host name" in error_of(tmp_path, f"name\n{name}\n")


def test_aliases_are_host_names_too(tmp_path):
    assert "alias" in error_of(tmp_path, "name,aliases\nweb-01,-oProxyCommand=x\n")


@pytest.mark.parametrize("address", ["10.0.0.1", "fe80::1", "web-01.example.com", "db"])
def test_addresses_accepted(tmp_path, address):
    data = build(tmp_path, f"name,address\nweb-01,{address}\n")
    assert hostvars(data, "web-01")["ansible_host"] == address


@pytest.mark.parametrize("address", ["-oProxyCommand=x", "10.0.0.1;id", "1.2.3.4.5", "web_01.example.com", "a b"])
def test_malformed_addresses_are_refused(tmp_path, address):
    message = error_of(tmp_path, f'name,address\nweb-01,"{address}"\n')
    assert "cmdb.csv line 2" in message
    assert "neither an IP address nor an RFC 1123 DNS name" in message or "contains whitespace" in message


def test_overlong_field_values_are_refused_with_a_truncated_message(tmp_path):
    message = error_of(tmp_path, f"name,owner\nweb-01,{'o' * 5000}\n")
    assert "owner is 5000 characters long (at most 1024)" in message
    assert len(message) < 300


ALIAS_BOMB = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
assets:
  - name: web-01
    owner: *h
"""


def test_a_yaml_alias_bomb_is_refused_before_it_is_built(tmp_path):
    message = error_of(tmp_path, ALIAS_BOMB, name="bomb.yml")
    assert "bomb.yml line 8" in message  # g: the first level past the limit
    assert "aliases expand to more than" in message


def test_yaml_anchors_of_normal_size_still_load(tmp_path):
    text = (
        "defaults: &d {owner: web, criticality: low}\nassets:\n  - {name: web-01, <<: *d}\n  - {name: web-02, <<: *d}\n"
    )
    data = build(tmp_path, text, name="ok.yml")
    assert [host[0] for host in data["hosts"]] == ["web-01", "web-02"]


def test_short_never_expands_a_shared_structure():
    level = ["lol"] * 9
    for _ in range(8):
        level = [level] * 9
    assert len(short(level)) < 200


@pytest.mark.parametrize("name, payload", [("cmdb.csv", b"name,owner\nweb-01,ok\nweb-02,M\xfcller\n")])
def test_non_utf8_bytes_name_the_file_and_line(tmp_path, name, payload):
    message = error_of(tmp_path, payload, name=name)
    assert "cmdb.csv line 3: not UTF-8 text" in message


def test_non_utf8_yaml_names_the_line(tmp_path):
    message = error_of(tmp_path, b"- name: web-01\n- name: web-02\n  owner: M\xfcller\n", name="a.yml")
    assert "a.yml line 3: not UTF-8 text" in message


@pytest.mark.parametrize(
    "name, text", [("cmdb.csv", "name,owner\n"), ("cmdb.csv", ""), ("a.yml", "[]\n"), ("a.yml", ""), ("a.json", "[]")]
)
def test_an_empty_export_is_an_error_unless_allowed(tmp_path, name, text):
    message = error_of(tmp_path, text, name=name)
    assert f"read no asset from {name}" in message
    assert build(tmp_path, text, name=name, allow_empty=True)["report"]["assets"] == 0


def test_an_absent_optional_source_is_not_an_empty_export(tmp_path):
    (tmp_path / "cmdb.csv").write_text("name\nweb-01\n")
    specs = [{"name": "cmdb", "path": "cmdb.csv"}, {"name": "later", "path": "none-*.csv", "optional": True}]
    assert AssetMap(specs, str(tmp_path)).build()["report"]["assets"] == 1


@pytest.mark.parametrize("allow", ["ansible_user", [""], ["ansible user"], [1]])
def test_allow_vars_itself_is_validated(tmp_path, allow):
    (tmp_path / "cmdb.csv").write_text("name\nweb-01\n")
    with pytest.raises(AssetInputError, match="allow_vars"):
        AssetMap([{"name": "cmdb", "path": "cmdb.csv", "allow_vars": allow}], str(tmp_path))
