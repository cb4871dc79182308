"""What tests/wire.py and tests/dplib.py share: a whole HTTP/1.1 reply read
from a socket (the request said "Connection: close": the reply ends where
the server closes the connection), split into its status and body."""


def read_reply(sock):
    """The reply on sock up to the server's close: (status code as text,
    body bytes)."""
    r = b""
    while True:
        d = sock.recv(65536)
        if not d:
            break
        r += d
    head, _, body = r.partition(b"\r\n\r\n")
    return head.split(b" ")[1].decode(), body
