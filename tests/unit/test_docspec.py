# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest
import yaml

from ansible_collections.sfb.pki.plugins.module_utils._docspec import argument_spec, options_to_spec

DOC = """
module: demo
options:
  roots:
    type: list
    elements: dict
    default: []
    suboptions:
      content:
        type: str
        no_log: false
      state:
        type: str
        choices: [present, absent]
        default: present
  mode:
    description: no type means str
    aliases: [subordinate_mode]
  count:
    type: int
    required: true
"""


def test_converts_types_defaults_choices_and_suboptions() -> None:
    spec = argument_spec(yaml.safe_load(DOC))
    assert spec["roots"]["type"] == "list"
    assert spec["roots"]["elements"] == "dict"
    assert spec["roots"]["default"] == []
    assert spec["roots"]["options"]["state"] == {
        "type": "str",
        "choices": ["present", "absent"],
        "default": "present",
    }
    assert spec["roots"]["options"]["content"] == {"type": "str", "no_log": False}
    assert spec["mode"] == {"type": "str", "aliases": ["subordinate_mode"]}
    assert spec["count"] == {"type": "int", "required": True}
    assert "description" not in spec["mode"]


def test_no_options_is_empty_spec() -> None:
    assert argument_spec({"module": "x"}) == {}


@pytest.mark.parametrize("doc", [None, "text", ["a"]])
def test_rejects_non_mapping_documentation(doc: object) -> None:
    with pytest.raises(ValueError, match="DOCUMENTATION"):
        argument_spec(doc)


def test_rejects_bad_option_shapes() -> None:
    with pytest.raises(ValueError, match="option 'x'"):
        options_to_spec({"x": "str"})
    with pytest.raises(ValueError, match="expected a mapping"):
        options_to_spec(["x"])


def test_validates_with_ansible() -> None:
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    spec = argument_spec(yaml.safe_load(DOC))
    good = ArgumentSpecValidator(spec).validate({"count": "3", "roots": [{"content": "x"}]})
    assert not good.error_messages
    assert good.validated_parameters["count"] == 3
    assert good.validated_parameters["roots"][0]["state"] == "present"
    bad = ArgumentSpecValidator(spec).validate({"roots": [{"state": "gone"}], "bogus": 1})
    text = " ".join(bad.error_messages)
    assert "count" in text and "gone" in text and "bogus" in text
