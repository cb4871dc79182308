"""What tests/wire.py, tests/dplib.py and tests/adminservice.py share: a
whole HTTP/1.1 reply read from a socket (the request said "Connection:
close", or the server closes after a refusal: the reply ends where the
server closes the connection), split into its status and body."""


def read_all(sock):
    """Every byte sock receives up to the server's close."""
    r = b""
    while True:
        d = sock.recv(65536)
        if not d:
            break
        r += d
    return r


def read_reply(sock):
    """The reply on sock up to the server's close: (status code as text,
    body bytes)."""
    head, _, body = read_all(sock).partition(b"\r\n\r\n")
    return head.split(b" ")[1].decode(), body
