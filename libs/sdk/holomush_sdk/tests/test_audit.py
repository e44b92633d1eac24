import logging

from holomush.plugin.v1 import plugin_pb2
from holomush_sdk import AuditEffect, AuditHint, audit
from holomush_sdk.auditing import (
    audit_context,
    audit_hint_from_proto,
    audit_hint_to_proto,
    harvest_audit_hints,
)


def test_audit_outside_a_handler_is_a_silent_no_op():
    audit().deny("x", "msg")
    assert harvest_audit_hints() == []


def test_recorded_hints_carry_id_message_effect_and_a_copy_of_attributes():
    attrs = {"scene.id": "1"}
    with audit_context():
        audit().deny("scene-private", "not invited", attrs)
        audit().allow("scene-open", "open scene")
        attrs["scene.id"] = "changed"
        hints = harvest_audit_hints()
        assert harvest_audit_hints() == []  # harvesting clears
    assert hints == [
        AuditHint("scene-private", AuditEffect.DENY, "not invited", attributes={"scene.id": "1"}),
        AuditHint("scene-open", AuditEffect.ALLOW, "open scene"),
    ]
    assert hints[0].name == hints[0].action_qualifier == hints[0].resource == ""


def test_hint_with_empty_id_is_dropped_with_a_warning(caplog):
    with audit_context(), caplog.at_level(logging.WARNING):
        audit().deny("", "msg")
        assert harvest_audit_hints() == []
    assert "dropping hint with empty ID" in caplog.text


def test_effect_mapping_to_and_from_proto():
    assert audit_hint_to_proto(AuditHint("a", None)).effect == plugin_pb2.AUDIT_EFFECT_UNSPECIFIED
    full = AuditHint(
        "a",
        AuditEffect.ALLOW,
        "m",
        name="n",
        action_qualifier="join",
        resource="scene:1",
        attributes={"k": "v"},
    )
    assert audit_hint_from_proto(audit_hint_to_proto(full)) == full
    unknown = plugin_pb2.AuditDecisionHint(id="a", effect=plugin_pb2.AuditEffect.ValueType(7))
    assert audit_hint_from_proto(unknown).effect is None
