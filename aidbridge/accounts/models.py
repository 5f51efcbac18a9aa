from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aidbridge.core import clock
from aidbridge.core.fields import validate_country


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def for_user(self, user) -> OrganisationQuerySet:  # type: ignore[no-untyped-def]
        from aidbridge.accounts.principal import principal

        p = principal(user)
        if p.sees_coalition:
            return self.all()
        if p.organisation_id is not None:
            return self.filter(pk=p.organisation_id)
        return self.none()


class Organisation(models.Model):
    REFERENCE_FIELD = "short_name"  # how the API accepts an organisation besides its id

    class Kind(models.TextChoices):
        DONOR = "donor", _("Donor")
        RECIPIENT = "recipient", _("Recipient")
        COORDINATOR = "coordinator", _("Coordinator")
        HUB_OPERATOR = "hub_operator", _("Hub operator")

    name = models.CharField(max_length=200, unique=True)
    short_name = models.SlugField(max_length=32, unique=True, help_text=_("Short code, e.g. “de-mod”."))
    kind = models.CharField(max_length=16, choices=Kind.choices)
    country = models.CharField(max_length=2, validators=[validate_country], help_text=_("ISO 3166-1 alpha-2"))
    iati_identifier = models.CharField(
        max_length=100, blank=True, help_text=_("IATI organisation identifier, e.g. “DE-1” or “XM-DAC-5-7”.")
    )
    in_coalition = models.BooleanField(
        default=True, help_text=_("Coalition members see coalition-released records; others see only public ones.")
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["iati_identifier"], condition=~models.Q(iati_identifier=""), name="org_unique_iati_id"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        VIEWER = "viewer", _("Viewer")
        EDITOR = "editor", _("Editor")
        ADMIN = "admin", _("Admin")
        AUDITOR = "auditor", _("Auditor")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organisation}"


class ApiToken(models.Model):
    """A bearer token for the REST API. Only a SHA-256 of the secret is stored."""

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "read-write", _("Read and write")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64)
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.WRITE)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = clock.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class UserPreference(models.Model):
    """A user's own settings for the web pages; for now the language of the interface.

    An empty ``language`` means "follow the browser" (its Accept-Language, read by ``LocaleMiddleware``).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    language = models.CharField(_("language"), max_length=16, blank=True, choices=settings.LANGUAGES,
                                help_text=_("Empty: the language your browser asks for."))
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"{self.user} — {self.language or 'browser'}"
