"""Mints the JWT a webhook channel's caller sends (seed 004):
header {"alg": "HS256", "typ": "JWT"}, payload {"appId": <client id>,
"sub": <random number>, "iat", "exp"}, signed with the client secret.
Python 3 standard library only; mint tokens on your server, never in a
browser, where the secret would leak.

    CLIENT_ID=app-... CLIENT_SECRET=... python3 examples/hook-token.py
    CLIENT_ID=app-... CLIENT_SECRET=... python3 examples/hook-token.py 300   # exp in 300 s (default 3600)
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
import time


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(client_id: str, client_secret: str, ttl: int = 3600) -> str:
    now = int(time.time())
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"appId": client_id, "sub": str(secrets.randbelow(10**9)), "iat": now, "exp": now + ttl}
    signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64url(json.dumps(payload, separators=(",", ":")).encode())
    signature = hmac.new(client_secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


if __name__ == "__main__":
    ttl = int(sys.argv[1]) if len(sys.argv) > 1 else 3600
    print(mint(os.environ["CLIENT_ID"], os.environ["CLIENT_SECRET"], ttl))
