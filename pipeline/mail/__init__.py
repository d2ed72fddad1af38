"""Email: the run's workbooks to the people who need them (``screening send``) and roster
reminders before each due date (``screening remind``).

* Each community gets its own workbook only; the leaders get the leaders' copy and the circular
  (the issued one from the archive when the period has been issued, else the draft); the health
  centre gets its checklist. One message per address, addresses from ``[mail]`` in the config: a
  missing address is reported, never guessed.
* Subjects and bodies come from Jinja templates (``templates/mail_*.txt.j2``: the first line is the
  subject, the rest the body) and carry community-level figures only, never a woman's ID or phone.
* The default is a dry run: the messages are written as ``.eml`` files to ``output/<as-of>/outbox/``
  for the user to check. With ``send=True`` they go out through SMTP (the transport is an argument,
  so tests inject their own server); temporary failures (4xx, dropped connections) are retried with
  exponential back-off, and a refused recipient does not stop the others.
* A ledger (table ``sent`` in the archive database) records every delivery: the same attachment is
  not sent twice to the same address (unless ``resend``), a reminder never twice for a due date.

Submissions arrive by email too (``screening fetch``): ``imap`` reads the office mailbox (read-only,
retried), ``incoming`` classifies each attachment by its bytes, ``fetch`` plans (pure) and saves the
tables into ``input/收件/`` with a ledger (table ``fetched``) so that nothing is saved twice.

Modules: ``message`` (one email), ``plan`` (what to send to whom, pure), ``send`` (outbox or SMTP),
``ledger`` (what was sent), ``imap``, ``incoming``, ``fetch`` (what arrives).
"""

from pipeline.mail.fetch import INBOX, FetchItem, FetchResult, fetch, fetch_report, plan_fetch
from pipeline.mail.imap import PASSWORD_ENV as IMAP_PASSWORD_ENV
from pipeline.mail.imap import FetchError, LoginRefused, check_settings, imap_factory, mailbox_user
from pipeline.mail.incoming import IncomingFile, IncomingMessage, classify, parse_message
from pipeline.mail.ledger import already_sent, ledger, record
from pipeline.mail.message import (
    ATTACHMENT_PASSWORD_ENV,
    PASSWORD_ENV,
    Attachment,
    DeliverError,
    Delivery,
    Outgoing,
    Plan,
    build_message,
    mime_type,
    protect,
    render_mail,
)
from pipeline.mail.plan import (
    TEMPLATE_COMMUNITY,
    TEMPLATE_HEALTH_CENTRE,
    TEMPLATE_LEADERS,
    TEMPLATE_REMIND,
    address_example,
    community_addresses,
    mail_context,
    plan_remind,
    plan_send,
    reminder_due,
    submitted_since,
)
from pipeline.mail.send import Transport, dispatch, smtp_factory, write_outbox

__all__ = [
    "ATTACHMENT_PASSWORD_ENV",
    "IMAP_PASSWORD_ENV",
    "INBOX",
    "PASSWORD_ENV",
    "TEMPLATE_COMMUNITY",
    "TEMPLATE_HEALTH_CENTRE",
    "TEMPLATE_LEADERS",
    "TEMPLATE_REMIND",
    "Attachment",
    "DeliverError",
    "Delivery",
    "FetchError",
    "FetchItem",
    "FetchResult",
    "IncomingFile",
    "IncomingMessage",
    "LoginRefused",
    "Outgoing",
    "Plan",
    "Transport",
    "address_example",
    "already_sent",
    "build_message",
    "check_settings",
    "classify",
    "community_addresses",
    "dispatch",
    "fetch",
    "fetch_report",
    "imap_factory",
    "ledger",
    "mail_context",
    "mailbox_user",
    "parse_message",
    "mime_type",
    "plan_fetch",
    "plan_remind",
    "plan_send",
    "protect",
    "record",
    "reminder_due",
    "render_mail",
    "smtp_factory",
    "submitted_since",
    "write_outbox",
]
