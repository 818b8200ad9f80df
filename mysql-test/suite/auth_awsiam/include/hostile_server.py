"""A hostile server for the auth_awsiam_challenge tests: it has no login to give,
it only wants what a client would sign for it.

It listens on a port of its own, runs the given client command against that
port, greets the client like a MySQL server, and asks it to switch to the
client plugin auth_awsiam_client with a challenge of its own making (any STS
host it likes). It never talks to a real server. Then it says whether the
client sent it an answer.

Usage: hostile_server.py STS_HOST [--tls CERT KEY] -- CLIENT_COMMAND...
(the string HOSTILE_PORT in the command is replaced by the port it listens
on). With --tls it offers TLS with the certificate CERT; without, it offers
none (what a man in the middle does to a client left at --ssl-mode=PREFERRED).
Prints the client's output and exit status, then what it received.
"""

import base64
import os
import socket
import ssl
import struct
import subprocess
import sys
import threading

CLIENT_LONG_PASSWORD = 0x1
CLIENT_PROTOCOL_41 = 0x200
CLIENT_SSL = 0x800
CLIENT_TRANSACTIONS = 0x2000
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_PLUGIN_AUTH = 0x80000
CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x200000
UTF8MB4 = 255
AUTH_SWITCH = 0xFE
ACCESS_DENIED = 1045


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def read_packet(sock):
    header = read_exactly(sock, 4)
    length = header[0] | header[1] << 8 | header[2] << 16
    return header[3], read_exactly(sock, length)


def write_packet(sock, seq, payload):
    sock.sendall(struct.pack("<I", len(payload))[:3] + bytes([seq & 0xFF]) + payload)


def greeting(tls):
    caps = (CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS
            | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH
            | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | (CLIENT_SSL if tls else 0))
    scramble = os.urandom(20).replace(b"\0", b"\1")
    return (b"\x0a" + b"9.7.4-hostile\0" + struct.pack("<I", 1) + scramble[:8] + b"\0"
            + struct.pack("<H", caps & 0xFFFF) + bytes([UTF8MB4]) + struct.pack("<H", 2)
            + struct.pack("<H", caps >> 16) + bytes([21]) + b"\0" * 10
            + scramble[8:] + b"\0" + b"caching_sha2_password\0")


def challenge(sts_host):
    nonce = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    return (f"awsiam-challenge/2\nnonce={nonce}\nsts-host={sts_host}\nregion=us-east-1\n"
            "server-id=\ntimeout=10\nanswers=sigv4\njwt-audience=\n").encode()


def serve(listener, sts_host, tls, received):
    client, _ = listener.accept()
    try:
        client.settimeout(30)
        write_packet(client, 0, greeting(tls))
        seq, response = read_packet(client)
        if tls and len(response) == 32:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            client = context.wrap_socket(client, server_side=True)
            seq, response = read_packet(client)
        write_packet(client, seq + 1,
                     bytes([AUTH_SWITCH]) + b"auth_awsiam_client\0" + challenge(sts_host))
        seq, answer = read_packet(client)
        received["answer"] = answer
        message = b"#28000Access denied: the hostile server has no login to give"
        write_packet(client, seq + 1, b"\xff" + struct.pack("<H", ACCESS_DENIED) + message)
    except (EOFError, OSError, ssl.SSLError):
        pass
    finally:
        client.close()


def main():
    sts_host = sys.argv[1]
    options = sys.argv[2:sys.argv.index("--")]
    tls = tuple(options[1:3]) if options[:1] == ["--tls"] else None
    command = sys.argv[sys.argv.index("--") + 1:]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = str(listener.getsockname()[1])
    command = [arg.replace("HOSTILE_PORT", port) for arg in command]
    received = {}
    server = threading.Thread(target=serve, args=(listener, sts_host, tls, received),
                              daemon=True)
    server.start()
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    server.join(timeout=10)
    out = (done.stdout + done.stderr).replace(port, "HOSTILE_PORT").rstrip()
    print(f"client (exit {done.returncode}):")
    print(out)
    answer = received.get("answer")
    if answer is None:
        print("the hostile server received: nothing")
    elif answer.startswith(b"awsiamc2."):
        print("the hostile server received: a signed answer (awsiamc2.)")
    else:
        print(f"the hostile server received: {len(answer)} bytes of something else")


if __name__ == "__main__":
    main()
