#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# A minimal FastCGI client for the tests: POST a signed delivery straight
# to a worker's socket, past nginx, optionally trickling the body one byte
# at a time.  Prints the status line the worker answered, or "none".
# Usage: fcgi_post.py SOCKET DELAY BODY_FILE SIGNATURE DELIVERY_ID MAX_SECONDS
# (X-GitHub-Event: $FCGI_POST_EVENT, default ping)
import os
import socket
import struct
import sys
import time

sock_path, delay, body_path, sig, delivery, limit = sys.argv[1:7]
delay, limit = float(delay), float(limit)
body = open(body_path, 'rb').read()


def record(kind, content):
    return struct.pack('!BBHHBx', 1, kind, 1, len(content), 0) + content


def pair(k, v):
    k, v = k.encode(), v.encode()

    def length(n):
        return bytes([n]) if n < 128 else struct.pack('!I', n | 0x80000000)
    return length(len(k)) + length(len(v)) + k + v


params = {'REQUEST_METHOD': 'POST', 'DOCUMENT_URI': '/webhook',
          'SCRIPT_NAME': '/webhook', 'CONTENT_LENGTH': str(len(body)),
          'HTTP_X_GITHUB_EVENT': os.environ.get('FCGI_POST_EVENT', 'ping'), 'HTTP_X_GITHUB_DELIVERY': delivery,
          'HTTP_X_HUB_SIGNATURE_256': sig}
start = time.monotonic()
s = socket.socket(socket.AF_UNIX)
s.settimeout(limit)
s.connect(sock_path)
s.sendall(record(1, struct.pack('!HB5x', 1, 0)))
s.sendall(record(4, b''.join(pair(k, v) for k, v in params.items())) +
          record(4, b''))
try:
    if delay > 0:
        for b in body:
            if time.monotonic() - start > limit:
                break
            s.sendall(record(5, bytes([b])))
            time.sleep(delay)
    else:
        s.sendall(record(5, body))
    s.sendall(record(5, b''))
except OSError:
    pass
out = b''
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
except OSError:
    pass
stdout, i = b'', 0
while i + 8 <= len(out):
    _, kind, _, clen, plen = struct.unpack('!BBHHB', out[i:i + 7])
    if kind == 6:
        stdout += out[i + 8:i + 8 + clen]
    i += 8 + clen + plen
# One write(2) of the whole line: callers run many of these in parallel
# into one file (xargs -P), where print()'s separate writes of the text
# and its newline could interleave with another's.
line = stdout.split(b'\r\n', 1)[0] if stdout else b'none'
os.write(1, line + b'\n')
