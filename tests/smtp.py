r"""A real SMTP server on loopback (aiosmtpd) for the e-mail tests: it records what it accepts, parsed.

A test that asks for the `smtp_server` fixture (tests/conftest.py) gets an `app`, `client` and `live_server` that
send their outbox there (without it they write messages to the log, and the sender erases a sent message's text from
the outbox: read what a user received from the server, not from the table):

    def test_reset(client, smtp_server):
        ...
        [received] = smtp_server.wait_for(1)
        link = re.search(r"https?://\S+", received.text)[0]

Or point a sender of your own at it: `OutboxSender(unit_of_work, server.settings())`.

`refuse_recipients` maps an address to the reply its RCPT TO gets (e.g. "550 5.1.1 no such user"); `port` fixed
before `start()` lets a test send to a server that is not up yet (connection refused), then start it.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from base.mail.sender import SmtpSettings
from tests.conftest import free_port

MAIL_FROM = "Brīvprātīgā darba apliecinājumi <noreply@brivpratigie.example.lv>"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes  # as it came over the wire

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert isinstance(part, EmailMessage)
        return part.get_content()

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert isinstance(part, EmailMessage)
        return part.get_content()


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        reply = self.server.refuse_recipients.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.server.lock:
            self.server.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), parsed, envelope.original_content)
            )
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None, *, tls: TlsFiles | None = None, login: tuple[str, str] | None = None):
        self.port = port or free_port()
        self.tls, self.login = tls, login
        self.received: list[Received] = []
        self.refuse_recipients: dict[str, str] = {}
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        options: dict = {}
        if self.tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.tls.cert, self.tls.key)
            options.update(tls_context=context, require_starttls=True)
        if self.login is not None:
            options.update(authenticator=self._authenticate, auth_required=True)
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        expected_user, expected_password = self.login or ("", "")
        ok = auth_data.login == expected_user.encode() and auth_data.password == expected_password.encode()
        return AuthResult(success=ok, handled=False)  # on failure, aiosmtpd answers 535

    def settings(self, **overrides) -> SmtpSettings:
        options = {
            "host": "127.0.0.1",
            "port": self.port,
            "starttls": self.tls is not None,
            "mail_from": MAIL_FROM,
            "timeout": 5.0,
            "ca_file": str(self.tls.cert) if self.tls else None,
        }
        return SmtpSettings(**{**options, **overrides})

    def app_settings(self) -> dict:
        """volcred Settings fields that send the service's e-mail here, looking every 0.2 s."""
        return {"smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_starttls": False, "mail_poll_seconds": 0.2}

    def environment(self) -> dict[str, str]:
        """The same as environment variables, for a service in its own process."""
        return {
            "VOLCRED_SMTP_HOST": "127.0.0.1",
            "VOLCRED_SMTP_PORT": str(self.port),
            "VOLCRED_SMTP_STARTTLS": "false",
            "VOLCRED_MAIL_POLL_SECONDS": "0.2",
        }

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The messages received, once there are `count` of them (or the timeout has passed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.messages()
            if len(received) >= count:
                return received
            time.sleep(0.02)
        return self.messages()


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path


def self_signed_certificate(directory: Path) -> TlsFiles:
    """A certificate for 127.0.0.1 (the client trusts it as its CA file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files = TlsFiles(directory / "smtp-cert.pem", directory / "smtp-key.pem")
    files.cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files
