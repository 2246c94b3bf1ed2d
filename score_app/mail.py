"""Mails to users, in their own language: sent through the SMTP server of SCORE_MAIL_SERVER, or
written to the log when none is set (the demo, a developer's machine)."""

import smtplib

from flask import current_app, render_template, request, url_for
from flask_mail import Message

from score_app.extensions import mailer
from score_app.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, in_locale


def public_url(endpoint: str, **values) -> str:
    """The address of a page as a mail's reader opens it: under SCORE_PUBLIC_URL when set,
    else under the address the admin or user reached the app at."""
    base = current_app.config["SCORE_PUBLIC_URL"] or request.host_url.rstrip("/")
    return base + url_for(endpoint, **values)


class MailNotSent(Exception):
    """The mail server could not be reached or refused the mail."""


def send_mail(to: str, locale: str | None, template: str, **context) -> None:
    """Send the plain-text mail/<template>.txt, whose first line is the subject, in `locale`."""
    with in_locale(locale if locale in SUPPORTED_LOCALES else DEFAULT_LOCALE):
        subject, _line_end, body = render_template(f"mail/{template}.txt", **context).partition(
            "\n"
        )
    message = Message(subject=subject.strip(), recipients=[to], body=body.strip() + "\n")
    if current_app.config["MAIL_SERVER"]:
        try:
            mailer.send(message)
        except (smtplib.SMTPException, OSError) as error:
            current_app.logger.error("The mail to %s is not sent: %s", to, error)
            raise MailNotSent from error
    else:
        current_app.logger.warning(
            "No mail server is set (SCORE_MAIL_SERVER), so this mail is not sent:\n"
            "To: %s\nSubject: %s\n\n%s",
            to,
            message.subject,
            message.body,
        )
