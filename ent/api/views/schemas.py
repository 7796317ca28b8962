"""What the endpoints answer: small, stable shapes (never a model dumped as is)."""

import datetime

from ninja import Field, Schema


class Person(Schema):
    id: int
    first_name: str
    last_name: str


class Child(Person):
    pass


class Me(Person):
    username: str
    profile: str
    language: str
    children: list[Child]


class Entry(Schema):
    id: int
    kind: str
    title: str
    instructions: str
    subject: str | None
    given_on: datetime.date
    due_on: datetime.date | None
    minutes: int | None
    done: bool


class Week(Schema):
    pupil: Person
    monday: datetime.date
    work: list[Entry]
    lessons: list[Entry]


class Lesson(Schema):
    key: str = Field(description="Stable across reads: the weekly slot and the day, or the extra lesson")
    date: datetime.date
    starts_at: datetime.time
    ends_at: datetime.time
    half_day: str = Field(description='"am" or "pm" for a primary school\'s half-day, else empty')
    title: str
    subject: str | None
    class_or_group: str | None
    teachers: list[str]
    room: str
    cancelled: bool = Field(description="Cancelled, moved away, or its teacher absent and not replaced")
    extra: bool
    changes: list[str] = Field(description="What changed, in the reader's language")


class TimetableWeek(Schema):
    pupil: Person | None = Field(description="The pupil the week is about; none for a teacher's own week")
    monday: datetime.date
    lessons: list[Lesson]


class Done(Schema):
    done: bool


class Notification(Schema):
    id: int
    kind: str
    subject: str
    text: str
    url: str
    created_at: datetime.datetime
    read: bool


class Count(Schema):
    count: int


class Conversation(Schema):
    id: int
    subject: str
    last_message_at: datetime.datetime | None
    unread: int
    archived: bool
    others: list[Person]


class Message(Schema):
    id: int
    author: Person | None
    body: str
    created_at: datetime.datetime
    hidden: bool


class NewMessage(Schema):
    # No NUL: PostgreSQL cannot store it in text (the page's form field refuses it the same way).
    body: str = Field(min_length=1, max_length=10000, pattern=r"^[^\x00]*$")


class Read(Schema):
    read_up_to: int


class Announcement(Schema):
    id: int
    title: str
    body: str
    created_at: datetime.datetime
    requires_confirmation: bool
    read: bool
    confirmed: bool


class Resource(Schema):
    id: int
    kind: str
    title: str
    summary: str


class Absence(Schema):
    id: int
    date: datetime.date
    kind: str
    status: str
    reason: str | None


class Notice(Schema):
    id: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    status: str
    reason: str | None
    comment: str


class ChildAbsences(Schema):
    pupil: Person
    absences: list[Absence]
    notices: list[Notice]
    can_declare: bool


class Paged(Schema):
    count: int
    limit: int
    offset: int


class NotificationPage(Paged):
    items: list[Notification]


class ConversationPage(Paged):
    items: list[Conversation]


class MessagePage(Paged):
    items: list[Message]


class AnnouncementPage(Paged):
    items: list[Announcement]


class ResourcePage(Paged):
    items: list[Resource]
