from aidbridge.audit.models import AuditEvent


def test_world_builds_through_audited_services(world):
    assert AuditEvent.objects.filter(action="pledge.create").count() == 4
    assert AuditEvent.objects.filter(action="requirement.validate").count() == 1
