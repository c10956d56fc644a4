"""An SMTP submission server for tests (Debian's aiosmtpd): STARTTLS required, then AUTH
(PLAIN, LOGIN) with one account, each message kept in a Maildir.

Arguments: HOST PORT CERT KEY MAILDIR USER PASSWORD_FILE (the password stays in its file).
"""
import asyncio
import ssl
import sys

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

host, port, cert, key, maildir, user, password_file = sys.argv[1:]
with open(password_file, "rb") as f:
    password = f.read().strip()


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
          and auth_data.password == password)
    return AuthResult(success=ok, handled=False)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
handler = Mailbox(maildir)
loop = asyncio.new_event_loop()
server = loop.run_until_complete(loop.create_server(
    lambda: SMTP(handler, tls_context=context, require_starttls=True, auth_required=True,
                 authenticator=authenticator, hostname="submission.test"),
    host, int(port)))
print("listening on %s:%s" % (host, port), flush=True)
loop.run_forever()
