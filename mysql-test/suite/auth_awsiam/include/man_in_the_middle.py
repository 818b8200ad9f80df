"""A man in the middle for the auth_awsiam_challenge tests.

It listens on a port of its own, runs the given client command against that
port, and passes the client's packets to the real server and back, keeping a
copy of the client's answer to the challenge. Used two ways:

- as an eavesdropper on the path to the real server (the client signs the
  real server's name): the login goes through; then
- as a server the client was tricked into dialing (the client signs the name
  it dialed, the man in the middle's): the real server must refuse it.

Either way it then replays the captured answer on a new connection of its own
to the real server, which must refuse it: the challenge there is another one.

Usage: man_in_the_middle.py SERVER_PORT USER [--tls CERT KEY] [--no-replay]
[--save FILE] -- CLIENT_COMMAND... (the string MITM_PORT in the command is
replaced by the port it listens on). Prints the client's output and exit
status, then what the server answered to the replay (unless --no-replay).
--save FILE keeps the captured answer in FILE; man_in_the_middle.py
SERVER_PORT USER --replay FILE -- replays it later, on a connection of its own. Without --tls the client must not use TLS. With --tls it is a
relay that terminates TLS: it shows the client its own certificate CERT (a
certificate the client may well trust: another host of the fleet), and opens
TLS of its own to the real server, the way any relay must.
"""

import select
import socket
import ssl
import struct
import subprocess
import sys
import threading

CLIENT_PROTOCOL_41 = 0x200
CLIENT_SECURE_CONNECTION = 0x8000
CLIENT_PLUGIN_AUTH = 0x80000
CLIENT_SSL = 0x800
CLIENT_LONG_PASSWORD = 0x1
UTF8MB4 = 255
AUTH_SWITCH = 0xFE
PLUGIN = b"auth_awsiam_client"


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
    sock.sendall(struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload)


def is_ssl_request(payload):
    return len(payload) == 32 and struct.unpack("<I", payload[:4])[0] & CLIENT_SSL


def start_tls(client, server, seq, request, tls):
    """The client asked for TLS: ask the server too, then terminate the client's TLS
    with our own certificate and open our own TLS to the server."""
    write_packet(server, seq, request)
    upstream = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    upstream.check_hostname = False
    upstream.verify_mode = ssl.CERT_NONE
    server = upstream.wrap_socket(server)
    downstream = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    downstream.load_cert_chain(*tls)
    client = downstream.wrap_socket(client, server_side=True)
    return client, server


# How long one read of the relay waits for data before it looks at the other side again.
POLL = 0.2
# How long a write may take.
WRITE_TIMEOUT = 10


def ready(socks):
    """The sockets that may have data: TLS data already decrypted first (select cannot see
    it), else whatever select reports within 30 s."""
    buffered = [s for s in socks if isinstance(s, ssl.SSLSocket) and s.pending()]
    if buffered:
        return buffered
    readable, _, _ = select.select(socks, [], [], 30)
    return readable


def take_packet(buffer):
    """(seq, payload, rest) of the first whole packet in buffer, or None."""
    if len(buffer) < 4:
        return None
    length = buffer[0] | buffer[1] << 8 | buffer[2] << 16
    if len(buffer) < 4 + length:
        return None
    return buffer[3], buffer[4:4 + length], buffer[4 + length:]


def relay(client, server, captured, tls=None):
    """Passes whole packets both ways, from one thread (a TLS socket is never used by two
    threads at once); keeps the client's answer to an auth switch. A socket that select
    reports may hold only TLS records without data (a TLS 1.3 session ticket): reads wait
    at most POLL, and bytes are kept until a whole packet is there, so that no side waits
    on the other."""
    switched = False
    try:
        seq, greeting = read_packet(server)
        write_packet(client, seq, greeting)
        seq, first = read_packet(client)
        if tls and is_ssl_request(first):
            client, server = start_tls(client, server, seq, first, tls)
        else:
            write_packet(server, seq, first)
        buffers = {client: b"", server: b""}
        while True:
            socks = ready([client, server])
            if not socks:
                return
            for sock in socks:
                sock.settimeout(POLL)
                try:
                    data = sock.recv(65536)
                except (TimeoutError, ssl.SSLWantReadError):
                    continue
                if not data:
                    return
                buffers[sock] += data
                other = server if sock is client else client
                while (packet := take_packet(buffers[sock])) is not None:
                    seq, payload, buffers[sock] = packet
                    if sock is server and payload[:1] == bytes([AUTH_SWITCH]) and len(payload) > 1:
                        switched = True
                    if sock is client and switched and "answer" not in captured:
                        captured["answer"] = payload
                    other.settimeout(WRITE_TIMEOUT)
                    write_packet(other, seq, payload)
    except (EOFError, OSError, ssl.SSLError) as e:
        captured.setdefault("error", str(e))


def replay(server_port, user, answer):
    """A login of our own that sends a captured answer to the server's new challenge."""
    with socket.create_connection(("127.0.0.1", server_port), timeout=30) as s:
        read_packet(s)  # the server's greeting
        caps = (CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION
                | CLIENT_PLUGIN_AUTH)
        response = (struct.pack("<IIB", caps, 1 << 24, UTF8MB4) + b"\0" * 23
                    + user.encode() + b"\0" + b"\0" + PLUGIN + b"\0")
        write_packet(s, 1, response)
        seq, payload = read_packet(s)
        if payload[:1] != bytes([AUTH_SWITCH]):
            return "the server sent no challenge"
        write_packet(s, seq + 1, answer)
        _, reply = read_packet(s)
        if reply[:1] == b"\0":
            return "ACCEPTED"
        if reply[:1] == b"\xff":
            code = struct.unpack("<H", reply[1:3])[0]
            return f"refused: ERROR {code}: {reply[9:].decode(errors='replace')}"
        return "unexpected reply"


def main():
    server_port, user = int(sys.argv[1]), sys.argv[2]
    options = sys.argv[3:sys.argv.index("--")]
    if options[:1] == ["--replay"]:
        with open(options[1], "rb") as saved:
            print("replayed answer:", replay(server_port, user, saved.read()))
        return
    tls = tuple(options[1:3]) if options[:1] == ["--tls"] else None
    replaying = "--no-replay" not in options
    save = options[options.index("--save") + 1] if "--save" in options else None
    command = sys.argv[sys.argv.index("--") + 1:]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = str(listener.getsockname()[1])
    command = [arg.replace("MITM_PORT", port) for arg in command]
    captured = {}

    def serve():
        client, _ = listener.accept()
        with client, socket.create_connection(("127.0.0.1", server_port)) as server:
            relay(client, server, captured, tls)

    proxy = threading.Thread(target=serve, daemon=True)
    proxy.start()
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    proxy.join(timeout=10)
    out = (done.stdout + done.stderr).replace(port, "MITM_PORT").rstrip()
    print(f"client through the man in the middle (exit {done.returncode}):")
    print(out)
    if "answer" not in captured:
        print("no answer captured")
        return
    if save:
        with open(save, "wb") as out:
            out.write(captured["answer"])
    if replaying:
        print("replayed answer:", replay(server_port, user, captured["answer"]))


if __name__ == "__main__":
    main()
