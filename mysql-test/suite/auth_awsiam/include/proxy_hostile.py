"""A hostile or broken application at auth_awsiam_proxy's socket, for the MTR test
'proxy': garbage for a handshake response, a packet header announcing 16 MiB, and a
well-formed response sent a byte at a time (slow loris). Prints what each one got.

    python3 proxy_hostile.py SOCKET HANDSHAKE_TIMEOUT_SECONDS
"""
import socket
import struct
import sys
import time

path, limit = sys.argv[1], float(sys.argv[2])


def connect():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(limit * 4)
    s.connect(path)
    greeting = s.recv(4096)
    assert greeting[3] == 0 and greeting[4] == 10, "no greeting"
    return s


def packet(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def reply(s):
    """The proxy's answer: an error's code and message, or that it closed."""
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    if len(data) > 4 and data[4] == 0xFF:
        code = struct.unpack("<H", data[5:7])[0]
        return f"error {code}: {data[13:].decode(errors='replace')}"
    return "closed" if not data else f"{len(data)} bytes"


s = connect()
s.sendall(packet(1, b"\x01\x02garbage"))
print("garbage:", reply(s))

s = connect()
s.sendall(b"\xff\xff\xff\x01")
print("a 16 MiB packet header:", reply(s))

s = connect()
body = b"x" * 60
s.sendall(packet(1, body)[:4])
started = time.monotonic()
closed = False
for byte in body:
    try:
        s.sendall(bytes([byte]))
    except OSError:
        closed = True
        break
    time.sleep(0.5)
    s.setblocking(False)
    try:
        if s.recv(4096) == b"":
            closed = True
            break
    except BlockingIOError:
        pass
    except OSError:
        closed = True
        break
    finally:
        s.setblocking(True)
took = time.monotonic() - started
if closed and took < limit + 2:
    print("a byte every 0.5 s: closed within the handshake timeout")
else:
    print(f"a byte every 0.5 s: still open after {took:.0f} s (the timeout is {limit:.0f} s)")
