"""E-mail that never gets lost: an outbox written in the event's own transaction, sent by a background worker.

Queue a message where the event happens, in the same transaction:

    from base.mail import queue_email

    queue_email(session, to=user.email, template="issuers/password_reset", language=user.language,
                context={"link": link}, kind="password_reset", dedupe_key=f"password_reset:{token_id}")

- `template` is `"<package>/<name>"`: the files `<package>/templates/email/<name>.txt` and `<name>.html` (each
  package keeps its own; the package is found by its dotted import name). The `.txt` extends `base/layout.txt` and
  fills the blocks `subject` and `body`, the `.html` extends `base/layout.html` and fills `body`. Texts come from
  the message catalogues through `t(key, **params)`, in `language` (any of base.i18n.LANGUAGES; an unknown one
  gives the default); `format_date` and `format_number` write values the language's way. See base.mail.render.
- The message is rendered at once and written to the `outbox` table (base.mail.store) with the caller's session:
  it exists if and only if the caller's transaction commits. A `dedupe_key` already queued makes it a no-op.
- `OutboxSender` (base.mail.sender), started with the application, sends due messages over SMTP, each at least
  once and, barring a crash in the instant between the SMTP server's acceptance and our commit, exactly once (the
  `Message-ID` is the same on every attempt, so a receiver can drop a duplicate). Without an SMTP host (the demo)
  it writes each message to the log instead.
"""

from base.mail.outbox import queue_email
from base.mail.render import RenderedEmail, render_email
from base.mail.store import OutboxRow

__all__ = ["OutboxRow", "RenderedEmail", "queue_email", "render_email"]
