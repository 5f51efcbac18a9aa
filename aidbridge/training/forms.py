"""Forms of the training pages. They shape input; the services in ``aidbridge.training.services`` decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.catalogue.models import Item
from aidbridge.core import clock
from aidbridge.locations.models import Location
from aidbridge.requirements.models import Requirement
from aidbridge.training.models import TRAINEE_REF_HELP, Course, Enrolment, SeatAssignment, SeatPlanRun, TrainingRequest
from aidbridge.training.services import COURSE_FIELDS, REQUEST_FIELDS

# The languages offered in the forms' lists (ISO 639-1); a stored code outside the list is kept as an option.
LANGUAGES: list[tuple[str, Any]] = [
    ("en", _("English (en)")), ("uk", _("Ukrainian (uk)")), ("de", _("German (de)")), ("pl", _("Polish (pl)")),
    ("fr", _("French (fr)")), ("it", _("Italian (it)")), ("es", _("Spanish (es)")), ("nl", _("Dutch (nl)")),
    ("cs", _("Czech (cs)")), ("sk", _("Slovak (sk)")), ("ro", _("Romanian (ro)")), ("lt", _("Lithuanian (lt)")),
    ("lv", _("Latvian (lv)")), ("et", _("Estonian (et)")), ("fi", _("Finnish (fi)")), ("sv", _("Swedish (sv)")),
    ("da", _("Danish (da)")), ("no", _("Norwegian (no)")), ("pt", _("Portuguese (pt)")),
]

PSEUDONYM_NOTE = _("Trainees are recorded by a pseudonymous reference chosen by the recipient — never by name or "
                   "any other personal data.")


def language_choices(current: str = "") -> list[tuple[str, str]]:
    known = [code for code, _ in LANGUAGES]
    extra = [(current, current)] if current and current not in known else []
    return [("", "—"), *LANGUAGES, *extra]


def _date(**attrs: Any) -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", **attrs}, format="%Y-%m-%d")


class CourseForm(forms.ModelForm):
    """A donor's editors offer courses for their own organisation; coordinators pick the provider."""

    provider = forms.ModelChoiceField(queryset=Organisation.objects.none(), required=False,
                                      help_text=_("The donor organisation that runs the course."))

    class Meta:
        model = Course
        fields = ["provider", *COURSE_FIELDS, "prerequisites"]
        widgets = {
            "start_date": _date(),
            "end_date": _date(),
            "disclosure_date": _date(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "prerequisites": forms.SelectMultiple(attrs={"size": 6}),
        }
        help_texts = {"prerequisites": _("Courses a trainee must hold (or take first) before this one.")}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        p = principal(user)
        if self.instance.pk is not None or not p.is_coordinator_editor:
            del self.fields["provider"]  # a donor offers for itself; the provider never changes
        else:
            self.fields["provider"].queryset = Organisation.objects.for_user(user).filter(
                kind=Organisation.Kind.DONOR).order_by("name")
            self.fields["provider"].required = True
        self.fields["qualifies_item"].queryset = Item.objects.for_user(user)
        self.fields["location"].queryset = Location.objects.for_user(user)
        self.fields["language"].widget = forms.Select(choices=language_choices(self.instance.language or ""))
        others = Course.objects.for_user(user).exclude(status=Course.Status.CANCELLED)
        if self.instance.pk is not None:
            others = others.exclude(pk=self.instance.pk)
        self.fields["prerequisites"].queryset = others.order_by("start_date", "pk")
        self.fields["prerequisites"].required = False
        self.fields["end_date"].widget.attrs["max"] = "2100-12-31"


class TrainingRequestForm(forms.ModelForm):
    """The recipient's request for crews. Linked to a requirement, the item, priority and "needed by" follow it."""

    class Meta:
        model = TrainingRequest
        fields = ["requirement", *REQUEST_FIELDS]
        widgets = {
            "latest_date": _date(max="2100-12-31"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"latest_date": _("Needed by")}
        help_texts = {
            "item": _("Leave empty when a requirement is linked: its item is used."),
            "priority": _("Leave as is when a requirement is linked: its priority is used."),
        }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        p = principal(user)
        if self.instance.pk is not None:
            del self.fields["requirement"]  # the link is chosen once, when the request is made
        else:
            self.fields["requirement"].queryset = (
                Requirement.objects.for_user(user).filter(recipient_id=p.organisation_id)
                .exclude(status__in=[Requirement.Status.CLOSED, Requirement.Status.CANCELLED])
                .select_related("item").order_by("priority", "due_date", "pk"))
            self.fields["requirement"].label_from_instance = (  # type: ignore[attr-defined]
                lambda r: f"{r.reference} {r.item.code} ×{r.quantity} (P{r.priority})")
        if self.instance.pk is not None and self.instance.requirement_id is not None:
            del self.fields["item"]  # they follow the requirement
            del self.fields["priority"]
        else:
            self.fields["item"].queryset = Item.objects.for_user(user)
            self.fields["item"].required = self.instance.pk is not None
            self.fields["priority"].required = self.instance.pk is not None
            if self.instance.pk is None:
                self.fields["priority"] = forms.TypedChoiceField(
                    coerce=int, empty_value=None, required=False, label=_("Priority"),
                    choices=[("", gettext("From the requirement (P2 without one)")), *Requirement.Priority.choices],
                    help_text=_("Leave as is when a requirement is linked: its priority is used."))
                self.initial["priority"] = None
        self.fields["language"].widget = forms.Select(choices=language_choices(self.instance.language or ""))

    def _get_validation_exclusions(self) -> Any:
        # On a new request the service fills the item and the priority from the requirement: the model's own
        # "cannot be null" would speak first, and tell the recipient nothing.
        excluded = super()._get_validation_exclusions()
        excluded.update({"item", "priority"})
        return excluded

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.instance.pk is None and data.get("requirement") is None and data.get("item") is None:
            self.add_error("item", gettext("Give the item the crews are for, or link a requirement."))
        return data


class EnrolForm(forms.Form):
    """Enrol one trainee of a request on a course where it holds seats."""

    course = forms.ModelChoiceField(queryset=Course.objects.none(), help_text=_("A course where this request "
                                                                              "holds seats."))
    trainee_ref = forms.CharField(label=_("Trainee reference"), max_length=32, help_text=_(TRAINEE_REF_HELP))

    def __init__(self, *args: Any, user: Any = None, request: TrainingRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        courses = Course.objects.for_user(user)
        if request is not None:
            held = SeatAssignment.objects.filter(request=request).values("course_id")
            courses = courses.filter(pk__in=held)
        self.fields["course"].queryset = courses.exclude(
            status__in=[Course.Status.COMPLETED, Course.Status.CANCELLED]).order_by("start_date", "pk")


class EnrolmentRecordForm(forms.Form):
    """Record one step of a trainee's progress: attendance, completion (with its certificate), withdrawal or
    failure."""

    ACTIONS = [("attend", _("Attended")), ("complete", _("Completed")), ("withdraw", _("Withdrawn")),
               ("fail", _("Failed"))]

    enrolment = forms.IntegerField(widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=ACTIONS, label=_("Record"))
    certificate_ref = forms.CharField(label=_("Certificate reference"), max_length=64, required=False,
                                      help_text=_("Required for a completion."))
    completed_on = forms.DateField(label=_("Completed on"), required=False, widget=_date(),
                                   help_text=_("For a completion; today if empty."))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["completed_on"].widget.attrs["max"] = clock.today().isoformat()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action") == "complete" and not (data.get("certificate_ref") or "").strip():
            self.add_error("certificate_ref", gettext("A completion needs its certificate reference."))
        return data


def allowed_actions(enrolment: Enrolment) -> list[tuple[str, str]]:
    """The steps open from the enrolment's status, as (action, label)."""
    to = {"attend": Enrolment.Status.ATTENDED, "complete": Enrolment.Status.COMPLETED,
          "withdraw": Enrolment.Status.WITHDRAWN, "fail": Enrolment.Status.FAILED}
    open_ = Enrolment.TRANSITIONS.get(enrolment.status, set())
    return [(action, label) for action, label in EnrolmentRecordForm.ACTIONS if to[action] in open_]


class SeatPlanForm(forms.Form):
    method = forms.ChoiceField(choices=SeatPlanRun.Method.choices, initial=SeatPlanRun.Method.OPTIMAL,
                               label=_("Method"))
    start_date = forms.DateField(required=False, widget=_date(), label=_("Day 0"),
                                 help_text=_("The plan counts days from here; today if empty."))
    time_limit = forms.FloatField(min_value=1, max_value=3600, initial=30, required=False, label=_("Time limit (s)"))
