#!/usr/bin/env python3
"""serf-node: runs one unmodified `serf agent` (Debian's serf) and speaks gossiplab's node contract.

Why the log and not event handlers: the agent coalesces member events for its handlers (up to
3 s late), while its log lines ("serf: EventMemberJoin: ...", "memberlist: Refuting ...") are
written as the change happens. Each line is stamped when this program reads it, so an event's
`ts` is late by the pipe and scheduling only (milliseconds), never by coalescing.

What serf does not show, this adapter does not invent: no incarnation numbers (serf exposes
none), no `suspect` states (memberlist logs a suspicion only where it starts, never when it is
cleared, so a printed suspect could never be taken back), no rumor payloads on delivery (the
log names the event only). impl.json lists exactly the features that remain.

Application state (node contract v2) is Serf's tags: `set`/`delete` become `serf tags -set K=V` /
`-delete K`, and a member's tags as this agent holds them are read with `serf members` whenever
the log says the member joined or was updated ("serf: EventMemberUpdate: n2"), so each change
of a key becomes a `state` event. Serf keeps one tag map per member, replaced whole under
memberlist's incarnation, which serf does not expose: there are no per-key versions (every
`version` printed is 0, and the manifest has no `state_versions`) and no tombstones (a key that
is gone is printed once as deleted). The tags must fit memberlist's 512-byte node metadata once
encoded; serf refuses a larger set, and so does this adapter, with serf's message.
"""

import argparse
import queue
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

VERSION = "serf-node 0.1.0"
# Serf refuses user events whose name + payload exceed this (its UserEventSizeLimit).
USER_EVENT_LIMIT = 512

out_lock = threading.Lock()


def digest(value):
    """16 hex digits of the value's 64-bit FNV-1a hash: equal for equal values."""
    h = 0xcbf29ce484222325
    for b in value.encode("utf-8"):
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return "%016x" % h


def emit(ev):
    """Prints one contract event; ts is taken under the lock so a node's clock never goes back."""
    with out_lock:
        ev = dict(ev)
        ev["ts"] = time.time()
        sys.stdout.write(json.dumps(ev, separators=(",", ":")) + "\n")
        sys.stdout.flush()


def error(msg):
    emit({"type": "error", "message": msg})


def log(msg):
    sys.stderr.write("serf-node: " + msg + "\n")
    sys.stderr.flush()


class Counters:
    """Packet counts from the agent's statsd telemetry: one line per memberlist send/receive.

    memberlist counts every UDP datagram as `memberlist.udp.sent|received` (value: bytes) and
    every TCP stream as `memberlist.tcp.connect|accept`; we sum them as the reference node does
    (TCP bytes received are not reported by memberlist, so bytes_recv covers UDP only).
    """

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.addr = "127.0.0.1:%d" % self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.v = {"pkts_sent": 0, "pkts_recv": 0, "bytes_sent": 0, "bytes_recv": 0, "bad_pkts": 0}
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            data = self.sock.recv(65536)
            for line in data.decode("utf-8", "replace").splitlines():
                m = re.match(r"^(.*?memberlist\.(udp|tcp)\.(sent|received|connect|accept)):"
                             r"([0-9.eE+-]+)\|c", line)
                if not m:
                    continue
                kind, what, val = m.group(2), m.group(3), float(m.group(4))
                with self.lock:
                    if kind == "udp" and what == "sent":
                        self.v["pkts_sent"] += 1
                        self.v["bytes_sent"] += int(val)
                    elif kind == "udp" and what == "received":
                        self.v["pkts_recv"] += 1
                        self.v["bytes_recv"] += int(val)
                    elif what == "connect":
                        self.v["pkts_sent"] += 1
                    elif what == "accept":
                        self.v["pkts_recv"] += 1
                    elif kind == "tcp" and what == "sent":
                        self.v["bytes_sent"] += int(val)

    def event(self, typ):
        with self.lock:
            ev = dict(self.v)
        ev["type"] = typ
        return ev


class Node:
    def __init__(self, args):
        self.id = args.id
        self.addr = "%s:%d" % (args.bind, args.port)
        self.rpc = "%s:%d" % (args.bind, args.port + 1)
        self.serf = args.serf
        self.started = False
        self.stopping = False
        self.own_rumors = set()  # rumors we originated: serf delivers them to us once more
        self.broadcast_ids = set()  # every rumor id this node broadcast (repeats are refused)
        self.counters = Counters()
        # Application state: what this node has printed of each other owner's tags, a wake-up
        # for the thread that re-reads them, and the node's own writes, applied one at a time
        # and in order (two writes of one key must not race).
        self.held = {}
        self.tags_changed = threading.Event()
        self.writes = queue.Queue()
        # The controller's scratch directory ({scratch}): it makes it and removes it when the
        # run ends, also after this node was SIGKILLed (docs/node-contract.md). Run by hand,
        # without --scratch, a temporary directory of our own, removed when we stop.
        self.own_dir = not args.scratch
        self.dir = args.scratch or tempfile.mkdtemp(prefix="gossiplab-serf-")
        os.makedirs(self.dir, exist_ok=True)
        seeds = [s for s in args.seeds.split(",") if s]
        cfg = {
            "node_name": self.id,
            "bind": self.addr,
            "rpc_addr": self.rpc,
            # broadcast (glomers-broadcast's profile) is serf's lan: the agent has no knob
            # for memberlist's gossip interval or fanout.
            "profile": "lan" if args.profile == "broadcast" else args.profile,
            "log_level": "debug",
            # Agents start in parallel: retry the seeds every second until one answers.
            "retry_join": seeds,
            "retry_interval": "1s",
            # Serf's own healing loop, stated explicitly: this is what the suite tests.
            "reconnect_interval": "30s",
            "statsd_addr": self.counters.addr,
        }
        self.cfg_file = os.path.join(self.dir, "serf.json")
        with open(self.cfg_file, "w") as f:
            json.dump(cfg, f)
        self.proc = None

    # -- the agent ------------------------------------------------------------------------

    def start(self):
        self.proc = subprocess.Popen([self.serf, "agent", "-config-file", self.cfg_file],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        threading.Thread(target=self._read_log, daemon=True).start()
        threading.Thread(target=self._tick, daemon=True).start()
        threading.Thread(target=self._refresh_tags, daemon=True).start()
        threading.Thread(target=self._write_loop, daemon=True).start()

    def _tick(self):
        while True:
            time.sleep(1.0)
            if self.started and not self.stopping:
                emit(self.counters.event("counters"))

    LINE = re.compile(r"\[(?P<lvl>[A-Z]+)\] (?P<who>[a-z.]+): (?P<msg>.*)$")
    # "EventMemberLeave (forced): X" is a failed member whose leave intent came late.
    MEMBER = re.compile(r"^EventMember(Join|Failed|Leave|Update|Reap)(?: \(forced\))?: (\S+)(?: (\S+))?")
    REFUTE = re.compile(r"^Refuting a (suspect|dead) message \(from: (.*)\)$")
    USER = re.compile(r"^Received event: user-event: (.*)$")

    # serf's and memberlist's loggers share the agent's output and a record can begin in the
    # middle of another's line ("... (1 peer confirmations)    2026/12/02 06:59:53 [INFO]
    # serf: EventMemberFailed: n5"): each line is cut before every timestamp.
    STAMP = re.compile(r"(?=\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \[[A-Z]+\] )")

    def _record(self, record):
        m = self.LINE.search(record)
        if not m:
            return
        who, msg = m.group("who"), m.group("msg")
        if who == "serf":
            mm = self.MEMBER.match(msg)
            if mm:
                self._member(mm.group(1), mm.group(2), mm.group(3))
        elif who == "memberlist":
            mr = self.REFUTE.match(msg)
            if mr:
                emit({"type": "refute", "from": mr.group(2), "accused_state": mr.group(1)})
        elif who == "agent":
            mu = self.USER.match(msg)
            if mu:
                self._user_event(mu.group(1))

    def _read_log(self):
        tail = []
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            sys.stderr.write(line + "\n")
            tail = (tail + [line])[-5:]
            for record in self.STAMP.split(line):
                self._record(record.rstrip())
        sys.stderr.flush()
        code = self.proc.wait()
        time.sleep(0.3)  # a SIGTERM to the group reaches the agent and us at once
        if not self.stopping:
            error("serf agent exited with status %d: %s" % (code, " | ".join(tail)))
            self.finish("error", 3)

    def _member(self, kind, name, ip):
        if name == self.id:
            if kind == "Join" and not self.started:
                # The agent's own join is printed right after memberlist has bound its port.
                self.started = True
                emit({"type": "started", "id": self.id, "addr": self.addr, "contract": 2,
                      "impl": "serf", "version": VERSION})
            return
        if kind in ("Join", "Update"):
            self.tags_changed.set()  # a joiner brings its tags; an update changes them
        state = {"Join": "alive", "Failed": "dead", "Leave": "left"}.get(kind)
        if state is None:
            return  # Update (tags) and Reap (forgotten) have no contract state
        ev = {"type": "member", "member": name, "state": state}
        if ip:
            ev["ip"] = ip
        emit(ev)

    def _user_event(self, name):
        origin, sep, rumor = name.partition("/")
        if not sep:
            origin, rumor = None, name
        if origin == self.id and rumor in self.own_rumors:
            self.own_rumors.discard(rumor)  # printed when the command was accepted
            return
        ev = {"type": "rumor", "rumor": rumor}
        if origin is not None:
            ev["origin"] = origin
        emit(ev)

    def rpc_cmd(self, sub, *argv, timeout=10):
        # serf's subcommands take flags before their positional arguments.
        return subprocess.run([self.serf, sub, "-rpc-addr", self.rpc] + list(argv),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)

    # -- application state: tags --------------------------------------------------------------

    def members(self):
        """The agent's member list (name, status, tags), or None after printing an error."""
        try:
            r = self.rpc_cmd("members", "-format", "json")
            if r.returncode == 0:
                return json.loads(r.stdout)["members"]
            error("serf members: %s" % first_line(r))
        except (OSError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
            error("serf members: %s" % e)
        return None

    def _refresh_tags(self):
        """Prints a `state` event for every key of another member whose value changed.

        Woken by join and update log lines; updates that land while it reads are read by the
        next pass, so a burst costs one `serf members` per pass, not one per update. A member
        reaped from the list keeps what was printed (its tags were not deleted by its owner).
        """
        while True:
            self.tags_changed.wait()
            self.tags_changed.clear()
            if self.stopping:
                return
            members = self.members()
            if members is None:
                time.sleep(0.5)
                self.tags_changed.set()
                continue
            for m in members:
                owner, tags = m.get("name"), m.get("tags") or {}
                if owner == self.id or not isinstance(owner, str):
                    continue
                had = self.held.setdefault(owner, {})
                for key in sorted(set(had) | set(tags)):
                    if had.get(key) == tags.get(key):
                        continue
                    if key in tags:
                        had[key] = tags[key]
                        self._state(owner, key, tags[key])
                    else:
                        del had[key]
                        self._state(owner, key, None)

    def _state(self, owner, key, value):
        emit({"type": "state", "owner": owner, "key": key, "version": 0,
              "digest": digest(value or ""), "deleted": value is None})

    def _own_tags(self):
        for m in self.members() or []:
            if m.get("name") == self.id:
                return m.get("tags") or {}
        return None

    def _write_loop(self):
        while True:
            key, value = self.writes.get()
            if key is None:
                self.digest_event()  # after the writes before it, as the commands came
                continue
            args = ["-set", "%s=%s" % (key, value)] if value is not None else ["-delete", key]
            what = "set" if value is not None else "delete"
            try:
                r = self.rpc_cmd("tags", *args)
                failure = None if r.returncode == 0 else first_line(r)
            except (OSError, subprocess.TimeoutExpired) as e:
                failure = str(e)
            if failure is None:
                self._state(self.id, key, value)
                continue
            error("%s %s: serf tags: %s" % (what, key, failure))
            # serf sets its tags before it waits for their broadcast: a timeout there may
            # still have applied the write. Print it only if the agent now holds it.
            own = self._own_tags()
            if own is not None and own.get(key) == value:
                self._state(self.id, key, value)

    def write(self, key, value):
        if "=" in key:
            error("%s %s: serf's tags -set KEY=VALUE cannot carry a key with '='" %
                  ("set" if value is not None else "delete", key))
            return
        self.writes.put((key, value))

    def digest_event(self):
        members = self.members()
        if members is None:
            return
        owners, total = [], 0
        for m in sorted(members, key=lambda m: str(m.get("name"))):
            tags = m.get("tags") or {}
            if not tags:
                continue
            h = digest("".join("%s\0%s\0" % (k, tags[k]) for k in sorted(tags)))
            owners.append({"owner": m.get("name"), "entries": len(tags), "hash": h})
            total += len(tags)
        emit({"type": "state_digest", "owners": owners, "entries": total})

    # -- commands ---------------------------------------------------------------------------

    def broadcast(self, rumor, payload):
        name = "%s/%s" % (self.id, rumor)
        if rumor in self.broadcast_ids:
            # The contract: a rumor id this node already broadcast is refused, by name.
            error("broadcast: rumor %r was already broadcast by %s" % (rumor, self.id))
            return
        if len(name.encode()) + len(payload.encode()) > USER_EVENT_LIMIT:
            error("broadcast %s: name + payload exceed serf's %d-byte user event limit" %
                  (rumor, USER_EVENT_LIMIT))
            return
        self.broadcast_ids.add(rumor)
        self.own_rumors.add(rumor)
        emit({"type": "rumor", "rumor": rumor, "origin": self.id, "payload": payload})

        def send():
            try:
                r = self.rpc_cmd("event", "-coalesce=false", name, payload)
                if r.returncode != 0:
                    error("serf event %s: %s" % (name, first_line(r)))
            except (OSError, subprocess.TimeoutExpired) as e:
                error("serf event %s: %s" % (name, e))
        threading.Thread(target=send, daemon=True).start()

    def view(self):
        try:
            r = self.rpc_cmd("members", "-format", "json")
            members = json.loads(r.stdout)["members"] if r.returncode == 0 else None
        except (OSError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
            members, r = None, None
            error("serf members: %s" % e)
        if members is None:
            if r is not None:
                error("serf members: %s" % first_line(r))
            return
        states = {"alive": "alive", "leaving": "alive", "failed": "dead", "left": "left"}
        emit({"type": "view", "self": {"id": self.id},
              "members": [{"id": m["name"], "state": states.get(m["status"], m["status"]),
                           "addr": m["addr"]} for m in members if m["name"] != self.id]})

    def leave(self):
        self.stopping = True
        try:
            r = self.rpc_cmd("leave", timeout=15)
            if r.returncode != 0:
                error("serf leave: %s" % first_line(r))
        except (OSError, subprocess.TimeoutExpired) as e:
            error("serf leave: %s" % e)
        self.finish("leave", 0)

    def finish(self, reason, code):
        """Stops the agent (if it still runs), prints the last counters and `stopping`, exits."""
        self.stopping = True
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        emit(self.counters.event("counters"))
        ev = self.counters.event("stopping")
        ev["reason"] = reason
        emit(ev)
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        os._exit(code)


def first_line(r):
    text = (r.stderr or r.stdout or "").strip()
    return text.splitlines()[0] if text else "exit status %d" % r.returncode


def serf_version(serf):
    try:
        r = subprocess.run([serf, "version"], capture_output=True, text=True, timeout=10)
        return r.stdout.splitlines()[0].strip() if r.stdout else "serf unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "serf unknown"


def read_commands(node):
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            c = json.loads(line)
            if not isinstance(c, dict):
                raise ValueError("not an object")
        except ValueError as e:
            error("stdin: not a JSON command (%s): %.200s" % (e, line))
            continue
        cmd = c.get("cmd")
        if cmd == "broadcast":
            rumor, payload = c.get("rumor"), c.get("payload", "")
            if not isinstance(rumor, str) or not rumor or not isinstance(payload, str):
                error("stdin: broadcast needs a non-empty string \"rumor\" and a string payload")
                continue
            node.broadcast(rumor, payload)
        elif cmd in ("set", "delete"):
            key, value = c.get("key"), c.get("value")
            if not isinstance(key, str) or not key or (cmd == "set" and not isinstance(value, str)):
                error("stdin: %s needs a non-empty string \"key\"%s" %
                      (cmd, " and a string \"value\"" if cmd == "set" else ""))
                continue
            node.write(key, value if cmd == "set" else None)
        elif cmd == "digest":
            node.writes.put((None, None))
        elif cmd == "view":
            node.view()
        elif cmd == "leave":
            node.leave()
        else:
            error("stdin: unknown command %r (expected broadcast, set, delete, digest, view or "
                  "leave)" % (cmd,))


def main():
    p = argparse.ArgumentParser(description="One serf agent behind gossiplab's node contract.")
    p.add_argument("--id")
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7946)
    p.add_argument("--seeds", default="", help="comma-separated ADDR:PORT")
    p.add_argument("--profile", default="local", choices=["lan", "local", "wan", "broadcast"])
    p.add_argument("--serf", default=shutil.which("serf") or "serf")
    p.add_argument("--scratch", default="",
                   help="a directory for the agent's files that the caller owns and removes")
    p.add_argument("--version", action="store_true")
    args = p.parse_args()
    if args.version:
        print("%s (%s)" % (VERSION, serf_version(args.serf)))
        return
    if not args.id:
        p.error("--id is required")
    if not (1 <= args.port < 65535):
        p.error("--port expects 1..65534 (the RPC listener takes port + 1)")
    if not shutil.which(args.serf):
        emit({"type": "error", "message": "serf is not installed (scripts/setup.sh --serf, or "
              "apt-get install serf)"})
        sys.exit(3)
    node = Node(args)

    def on_signal(*_):
        # Stop in a thread: the main thread may hold the output lock when the signal lands.
        node.stopping = True
        threading.Thread(target=node.finish, args=("signal", 0)).start()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    node.start()
    read_commands(node)
    while True:  # EOF on stdin means nothing: run until a signal
        time.sleep(3600)


if __name__ == "__main__":
    main()
