"""The outer loop's data: initiatives and review decisions, announcements, the idea portal."""

from closeloop.initiatives.models.announcements import Announcement, AnnouncementRecipient
from closeloop.initiatives.models.ideas import (
    Idea,
    IdeaComment,
    IdeaPortal,
    IdeaStatusChange,
    IdeaVote,
    PortalVisitor,
)
from closeloop.initiatives.models.initiatives import Decision, Initiative, OuterLoopSettings

__all__ = [
    "Announcement",
    "AnnouncementRecipient",
    "Decision",
    "Idea",
    "IdeaComment",
    "IdeaPortal",
    "IdeaStatusChange",
    "IdeaVote",
    "Initiative",
    "OuterLoopSettings",
    "PortalVisitor",
]
