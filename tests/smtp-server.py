#!/usr/bin/python3
# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A loopback SMTP server for the smtp notifier's tests, on aiosmtpd.

serve: listens on 127.0.0.1 at a free port, prints "PORT <n>" on stdout,
stores each accepted message as a JSON file in MAILDIR, and stops when its
stdin reaches end of file, so it also stops when the test process dies.
With --cert and --key it offers STARTTLS and requires it; with --user and
--password as well it requires AUTH after STARTTLS and accepts exactly
that login. --implicit-tls wraps the whole connection in TLS instead.
--echo-password quotes a rejected password, in plain text and base64, in the
535 reply; --reject-recipient answers RCPT for one address with 550.

parse: reads one stored message and prints, as JSON, what the test checks:
the envelope, the decoded headers, the parts and any parsing defects.
"""

import argparse
import base64
import email
import email.policy
import email.utils
import errno
import json
import logging
import os
import re
import socket
import ssl
import sys


class LoginDataWarningFilter(logging.Filter):
    """Drops the warning that aiosmtpd 1.4.3 logs after every login, when it
    sets its own deprecated Session.login_data."""

    def filter(self, record):
        return "Session.login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(LoginDataWarningFilter())

# Picking a free port and then binding it races with other processes, so a
# bind that fails with "address in use" is retried on another port.
BIND_TRIES = 20


def pick_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StoringHandler:
    def __init__(self, maildir, rejected_recipient=None):
        self.maildir = maildir
        self.rejected_recipient = rejected_recipient

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.rejected_recipient:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # numbered on from the messages of earlier servers in the folder
        count = 1 + sum(1 for name in os.listdir(self.maildir) if name.endswith(".json"))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": base64.b64encode(envelope.original_content).decode("ascii"),
        }
        path = os.path.join(self.maildir, "%04d.json" % count)
        # the rename makes the file appear whole
        with open(path + ".tmp", "w", encoding="utf-8") as stream:
            json.dump(record, stream)
        os.rename(path + ".tmp", path)
        return "250 Message accepted for delivery"


def make_authenticator(user, password, echo_password):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticate(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        accepted = (auth_data.login == user.encode("utf-8")
                    and auth_data.password == password.encode("utf-8"))
        if accepted or not echo_password:
            return AuthResult(success=accepted, handled=False)
        # a careless server that quotes the login it rejected
        given = auth_data.password
        plain = base64.b64encode(b"\0" + auth_data.login + b"\0" + given).decode("ascii")
        message = "535 5.7.8 wrong password %s for %s (%s)" % (
            given.decode("utf-8", "replace"), base64.b64encode(given).decode("ascii"), plain)
        return AuthResult(success=False, handled=False, message=message)

    return authenticate


def build_controller(args, port):
    from aiosmtpd.controller import Controller

    handler = StoringHandler(args.maildir, args.reject_recipient)
    kwargs = {}
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        if args.implicit_tls:
            kwargs["ssl_context"] = context
        else:
            kwargs["tls_context"] = context
            kwargs["require_starttls"] = True
    if args.user is not None:
        kwargs["authenticator"] = make_authenticator(args.user, args.password,
                                                     args.echo_password)
        if args.auth_mechanism:
            kwargs["auth_exclude_mechanism"] = [
                name for name in ("LOGIN", "PLAIN") if name != args.auth_mechanism]
        kwargs["auth_required"] = True
        # aiosmtpd 1.4.3 counts only STARTTLS as TLS for auth_require_tls,
        # so it would hide AUTH on a connection that is TLS from its first
        # byte; there the whole session is encrypted anyway.
        kwargs["auth_require_tls"] = not args.implicit_tls
    return Controller(handler, hostname="127.0.0.1", port=port, **kwargs)


def serve(args):
    controller = None
    for _ in range(BIND_TRIES):
        port = pick_port()
        candidate = build_controller(args, port)
        try:
            candidate.start()
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            candidate.stop(no_assert=True)
            continue
        controller = candidate
        break
    if controller is None:
        sys.exit("smtp-server.py: no free port on 127.0.0.1 after %d tries" % BIND_TRIES)

    print("PORT %d" % port, flush=True)
    try:
        sys.stdin.buffer.read()
    finally:
        controller.stop()


def describe_part(part):
    payload = part.get_payload(decode=True)
    entry = {
        "content_type": part.get_content_type(),
        "charset": part.get_content_charset(),
        "transfer_encoding": part.get("Content-Transfer-Encoding"),
        "disposition": part.get_content_disposition(),
        "filename": part.get_filename(),
        "defects": [type(defect).__name__ for defect in part.defects],
    }
    if part.get_content_maintype() == "text":
        entry["text"] = part.get_content()
    elif payload is not None:
        entry["data"] = base64.b64encode(payload).decode("ascii")
    return entry


def raw_header(raw, name):
    """Returns one header as sent, folded lines included, before decoding."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    match = re.search(rb"^" + name + rb":([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head, re.MULTILINE | re.IGNORECASE)
    return match.group(1).decode("ascii", "replace") if match else None


def parse(args):
    with open(args.file, encoding="utf-8") as stream:
        record = json.load(stream)
    raw = base64.b64decode(record["data"])
    message = email.message_from_bytes(raw, policy=email.policy.default)
    date = email.utils.parsedate_to_datetime(message["Date"])
    result = {
        "mail_from": record["mail_from"],
        "rcpt_tos": record["rcpt_tos"],
        "raw_is_ascii": all(byte < 0x80 for byte in raw),
        "raw_has_bare_lf": b"\n" in raw.replace(b"\r\n", b""),
        "raw_subject": raw_header(raw, b"Subject"),
        "date": message["Date"],
        "date_utc_offset": int(date.utcoffset().total_seconds()),
        "date_timestamp": int(date.timestamp()),
        "message_id": message["Message-ID"],
        "from": message["From"],
        "to": [address.addr_spec for address in message["To"].addresses],
        "subject": str(message["Subject"]),
        "mime_version": message["MIME-Version"],
        "content_type": message.get_content_type(),
        "defects": [type(defect).__name__ for defect in message.defects],
        "parts": [describe_part(part) for part in message.iter_parts()],
    }
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser("serve", help="run the server until stdin closes")
    serve_parser.add_argument("maildir", help="folder for the received messages")
    serve_parser.add_argument("--cert", help="PEM certificate chain for TLS")
    serve_parser.add_argument("--key", help="PEM private key for TLS")
    serve_parser.add_argument("--implicit-tls", action="store_true",
                              help="TLS from the first byte instead of STARTTLS")
    serve_parser.add_argument("--user", help="the one login name accepted")
    serve_parser.add_argument("--password", help="the one password accepted")
    serve_parser.add_argument("--auth-mechanism", choices=("LOGIN", "PLAIN"),
                              help="offer only this AUTH mechanism")
    serve_parser.add_argument("--echo-password", action="store_true",
                              help="quote a rejected password in the 535 reply")
    serve_parser.add_argument("--reject-recipient",
                              help="answer RCPT for this address with 550")

    parse_parser = commands.add_parser("parse", help="decode one stored message")
    parse_parser.add_argument("file", help="a JSON file written by serve")

    args = parser.parse_args()
    if args.command == "serve":
        if bool(args.cert) != bool(args.key):
            parser.error("--cert and --key go together")
        if (args.user is None) != (args.password is None):
            parser.error("--user and --password go together")
        if args.user is not None and not args.cert:
            parser.error("--user needs --cert and --key, because AUTH requires TLS")
        serve(args)
    else:
        parse(args)


if __name__ == "__main__":
    main()
