"""The domain model, one module per aggregate."""
from matchapp.models.audit import AuditEvent
from matchapp.models.booking import Booking, BookingStatus, Clash
from matchapp.models.course import Course, CourseRun, Enrollment
from matchapp.models.figures import (
    BookingFigure,
    CompletionFigure,
    CourseBookingFigure,
    FiguresRefresh,
    SessionFigure,
)
from matchapp.models.integration import SCOPES, ApiKey, Integration
from matchapp.models.notice import SentNotice
from matchapp.models.organisation import Employer, Jobcenter
from matchapp.models.outbox import OutboxMessage, OutboxStatus
from matchapp.models.outcome import (
    Attendance,
    CandidateFeedback,
    ConsultantOutcome,
    EmploymentStatus,
    EmploymentType,
    FollowUp,
    NextStep,
    Outcome,
    Result,
)
from matchapp.models.session import InterviewSession, MeetingMode, SessionStatus, Slot, SlotStatus
from matchapp.models.user import Candidate, Role, TargetGroup, User, UserSession, UserToken
from matchapp.models.waitlist import WaitlistEntry, WaitlistOffer, WaitStatus
from matchapp.models.webhook import EVENTS, WebhookDelivery, WebhookSubscription

__all__ = [
    "Attendance", "CandidateFeedback", "ConsultantOutcome", "EmploymentStatus", "EmploymentType", "FollowUp",
    "NextStep", "Outcome", "Result",
    "BookingFigure", "CompletionFigure", "CourseBookingFigure", "FiguresRefresh", "SessionFigure",
    "ApiKey",
    "AuditEvent", "Booking", "BookingStatus", "Candidate", "Clash", "Course", "CourseRun", "Employer", "Enrollment",
    "Integration", "InterviewSession", "Jobcenter", "MeetingMode", "OutboxMessage", "OutboxStatus", "Role",
    "SentNotice",
    "SessionStatus", "Slot", "SlotStatus", "TargetGroup", "User", "UserSession", "UserToken",
    "WaitlistEntry", "WaitlistOffer", "WaitStatus", "SCOPES", "EVENTS", "WebhookDelivery", "WebhookSubscription",
]
