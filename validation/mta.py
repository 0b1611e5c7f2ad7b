"""Real mail software on loopback for delivsim's validation: two Postfix instances (a sender
with a short backoff, a receiver with a size limit, virtual mailboxes with a size limit,
unknown users, postgrey and rspamd as a milter), redis for rspamd, all from private
directories under one work folder, all started here and stopped here (`with Lab(...)`),
even after a failure. Nothing system-wide is configured or started.

Everything listens on 127.0.0.1 (Postfix accepts only addresses configured on an interface,
and adding addresses to lo would change the system): sender port 12525, receiver 12526, a
next hop that never answers 12527 (nothing listens: connection refused), postgrey 12023,
rspamd's milter 12332 (its scanner 12333), redis 12379.
"""

from __future__ import annotations

import dataclasses
import os
import pwd
import shutil
import signal
import smtplib
import socket
import subprocess
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Optional

SENDER_IP = RECEIVER_IP = DEAD_IP = "127.0.0.1"
POSTGREY = ("127.0.0.1", 12023)
RSPAMD_MILTER = ("127.0.0.1", 12332)
RSPAMD_NORMAL = ("127.0.0.1", 12333)
REDIS = ("127.0.0.1", 12379)
SENDER_PORT, RECEIVER_PORT, DEAD_PORT = 12525, 12526, 12527

KNOWN_USERS = [f"user{i}" for i in range(1, 11)] + ["full"]
# rspamd's actions, triggered by a subject tag (a private Lua rule with a fixed score).
RSPAMD_TAGS = {"reject": ("VALIDATE_REJECT", 20.0), "add_header": ("VALIDATE_HEADER", 7.0),
               "greylist": ("VALIDATE_GREY", 5.0)}


@dataclasses.dataclass
class Settings:
    """The time-compressed configuration (seconds)."""
    minimal_backoff_s: int = 4
    maximal_backoff_s: int = 64
    queue_run_delay_s: int = 1
    lifetime_s: int = 300
    postgrey_delay_s: int = 20
    rspamd_greylist_s: int = 20
    message_size_limit: int = 20000
    mailbox_size_limit: int = 51200
    rspamd: bool = True


def _master_cf(smtpd_port: Optional[int]) -> str:
    lines = []
    if smtpd_port:
        lines.append(f"127.0.0.1:{smtpd_port} inet n - n - - smtpd")
    for svc in ["cleanup unix n - n - 0 cleanup", "qmgr unix n - n 300 1 qmgr",
                "rewrite unix - - n - - trivial-rewrite", "bounce unix - - n - 0 bounce",
                "defer unix - - n - 0 bounce", "trace unix - - n - 0 bounce", "verify unix - - n - 1 verify",
                "flush unix n - n 1000? 0 flush", "proxymap unix - - n - - proxymap",
                "smtp unix - - n - - smtp", "relay unix - - n - - smtp", "showq unix n - n - - showq",
                "error unix - - n - - error", "retry unix - - n - - error", "discard unix - - n - - discard",
                "local unix - n n - - local", "virtual unix - n n - - virtual", "anvil unix - - n - 1 anvil",
                "scache unix - - n - 1 scache", "postlog unix-dgram n - n - 1 postlogd"]:
        lines.append(svc)
    return "\n".join(lines) + "\n"


def _wait_port(host: str, port: int, timeout: float, what: str, proc: Optional[subprocess.Popen] = None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode} before listening on {host}:{port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on {host}:{port} within {timeout} s")


class Lab:
    """The running services. Use as a context manager; every service is stopped on exit."""

    def __init__(self, work: Path, settings: Settings):
        self.work = work.resolve()
        self.s = settings
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.postfix_dirs: list[Path] = []
        self.versions: dict[str, str] = {}

    # --- set-up -------------------------------------------------------------------------
    def _postfix_instance(self, name: str, main: dict[str, str], smtpd_port: int) -> Path:
        d = self.work / name
        etc = d / "etc"
        etc.mkdir(parents=True, exist_ok=True)
        (d / "data").mkdir(exist_ok=True)
        (d / "spool").mkdir(exist_ok=True)
        shutil.chown(d / "data", "postfix")
        base = {
            "compatibility_level": "3.6",
            "queue_directory": str(d / "spool"),
            "data_directory": str(d / "data"),
            "meta_directory": str(etc),
            "mail_owner": "postfix", "setgid_group": "postdrop",
            "inet_protocols": "ipv4",
            "maillog_file": str(d / "maillog"), "maillog_file_prefixes": str(d),
            "syslog_name": f"postfix-{name}",
            "biff": "no", "alias_maps": "", "alias_database": "", "local_recipient_maps": "",
            "notify_classes": "", "delay_warning_time": "0", "smtputf8_enable": "no",
            "smtp_tls_security_level": "none", "smtpd_tls_security_level": "none",
            "append_dot_mydomain": "no", "mydestination": "",
            "smtp_dns_support_level": "disabled", "disable_dns_lookups": "yes",
            "smtp_connect_timeout": "2s", "smtp_helo_timeout": "10s",
            "default_destination_concurrency_limit": "10",
        }
        base.update(main)
        (etc / "main.cf").write_text("".join(f"{k} = {v}\n" for k, v in base.items()))
        (etc / "master.cf").write_text(_master_cf(smtpd_port))
        # postfix check reads postfix-files from meta_directory; Debian keeps them in /etc/postfix.
        for f in ("postfix-files", "dynamicmaps.cf"):
            for src in (Path("/etc/postfix") / f, Path("/etc/postfix") / (f + ".dpkg-new"),
                        Path("/usr/share/postfix") / (f + ".dist")):
                if src.exists():
                    shutil.copy(src, etc / f)
                    break
        for sub in ("postfix-files.d", "dynamicmaps.cf.d"):
            src = Path("/etc/postfix") / sub
            if src.is_dir() and not (etc / sub).exists():
                shutil.copytree(src, etc / sub)
        self.postfix_dirs.append(d)
        return d

    def _start_postfix(self, d: Path) -> None:
        r = subprocess.run(["postfix", "-c", str(d / "etc"), "start"], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            # postfix(1) writes its reason to stderr only when that is a terminal.
            why = subprocess.run(["script", "-qec", f"postfix -c {d / 'etc'} check", "/dev/null"],
                                 capture_output=True, text=True, timeout=60).stdout.strip()
            raise RuntimeError(f"postfix -c {d / 'etc'} start failed: {why or r.stderr or r.stdout}")

    def _spawn(self, name: str, argv: list[str], log: Path) -> subprocess.Popen:
        f = log.open("ab")
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        self.procs.append((name, p))
        return p

    def _start_redis(self) -> None:
        d = self.work / "redis"
        d.mkdir(parents=True, exist_ok=True)
        p = self._spawn("redis", ["redis-server", "--bind", REDIS[0], "--port", str(REDIS[1]), "--save", "",
                                  "--appendonly", "no", "--dir", str(d), "--daemonize", "no",
                                  "--protected-mode", "no"], d / "redis.log")
        _wait_port(*REDIS, 20, "redis-server", p)

    def _start_rspamd(self) -> None:
        d = self.work / "rspamd"
        etc = d / "etc"
        if etc.exists():
            shutil.rmtree(etc)
        shutil.copytree("/etc/rspamd", etc)
        (d / "db").mkdir(parents=True, exist_ok=True)
        (d / "run").mkdir(parents=True, exist_ok=True)
        local = etc / "local.d"
        local.mkdir(exist_ok=True)
        override = etc / "override.d"
        override.mkdir(exist_ok=True)
        (local / "redis.conf").write_text(f'servers = "{REDIS[0]}:{REDIS[1]}";\n')
        # A tiny public suffix list: compiling rspamd's full one takes minutes on a busy machine.
        (d / "tld.dat").write_text("test\ncom\norg\nnet\n")
        (local / "options.inc").write_text('dns { nameserver = ["127.0.0.1:53"]; timeout = 0.1s; retransmits = 0; }\n'
                                           f'local_addrs = [];\nurl_tld = "{d / "tld.dat"}";\n')
        (override / "logging.inc").write_text(f'type = "file";\nfilename = "{d}/rspamd.log";\nlevel = "notice";\n')
        (local / "worker-proxy.inc").write_text(
            f'bind_socket = "{RSPAMD_MILTER[0]}:{RSPAMD_MILTER[1]}";\nmilter = yes;\ntimeout = 120s;\n'
            'upstream "local" { default = yes; self_scan = yes; }\n')
        (local / "worker-normal.inc").write_text(f'bind_socket = "{RSPAMD_NORMAL[0]}:{RSPAMD_NORMAL[1]}";\ncount = 1;\n')
        (override / "worker-controller.inc").write_text('enabled = false;\n')
        (override / "worker-fuzzy.inc").write_text('enabled = false;\n')
        # Only the actions under test: a subject tag adds a fixed score; thresholds as rspamd's
        # defaults (greylist 4, add_header 6, reject 15).
        (local / "actions.conf").write_text("reject = 15;\nadd_header = 6;\ngreylist = 4;\nrewrite_subject = null;\n")
        tags = "".join(
            f"rspamd_config.{sym} = {{ callback = function(task) "
            f"return ((task:get_subject() or ''):find('{sym}', 1, true)) ~= nil end, "
            f"score = {score}, description = 'delivsim validation tag' }}\n"
            for sym, score in RSPAMD_TAGS.values())
        (etc / "rspamd.local.lua").write_text(tags)
        (local / "greylist.conf").write_text(
            f"timeout = {self.s.rspamd_greylist_s}s;\nexpire = 1d;\nipv4_mask = 32;\nmessage = \"Try again later\";\n"
            "check_local = true;\ncheck_authed = true;\n")
        for mod in ("fuzzy_check", "rbl", "surbl", "dkim_signing", "arc", "phishing", "neural", "ratelimit",
                    "replies", "url_redirector", "asn", "emails", "dmarc", "spf", "dkim", "bayes_expiry",
                    "history_redis", "reputation", "mx_check", "once_received", "hfilter",
                    "clickhouse", "elastic", "metadata_exporter", "antivirus", "external_services", "mime_types"):
            (local / f"{mod}.conf").write_text("enabled = false;\n")
        (local / "milter_headers.conf").write_text('use = ["x-spam-status"];\nskip_local = false;\nskip_authenticated = false;\n')
        (local / "classifier-bayes.conf").write_text("enabled = false;\n")
        conf = etc / "rspamd.conf"
        p = self._spawn("rspamd", ["rspamd", "-f", "-u", "_rspamd", "-g", "_rspamd", "-c", str(conf),
                                   f"--var=CONFDIR={etc}", f"--var=LOCAL_CONFDIR={etc}", f"--var=DBDIR={d / 'db'}",
                                   f"--var=RUNDIR={d / 'run'}", f"--var=LOGDIR={d}"], d / "rspamd.stdout")
        for sub in ("db", "run"):
            shutil.chown(d / sub, "_rspamd", "_rspamd")
        _wait_port(*RSPAMD_MILTER, 60, "rspamd", p)

    def _start_postgrey(self) -> None:
        d = self.work / "postgrey"
        (d / "db").mkdir(parents=True, exist_ok=True)
        shutil.chown(d / "db", "postgrey")
        empty = d / "whitelist"
        empty.write_text("")
        p = self._spawn("postgrey", [
            "postgrey", f"--inet={POSTGREY[0]}:{POSTGREY[1]}", f"--delay={self.s.postgrey_delay_s}",
            f"--dbdir={d / 'db'}", "--auto-whitelist-clients=0", f"--whitelist-clients={empty}",
            f"--whitelist-recipients={empty}", "--user=postgrey", "--group=postgrey",
            f"--pidfile={d / 'postgrey.pid'}"], d / "postgrey.log")
        _wait_port(*POSTGREY, 30, "postgrey", p)

    def start(self) -> "Lab":
        if os.geteuid() != 0:
            raise RuntimeError("the validation lab runs Postfix, which needs root")
        for tool in ("postfix", "postgrey", "redis-server", "rspamd"):
            if shutil.which(tool) is None and (tool != "rspamd" or self.s.rspamd):
                raise RuntimeError(f"{tool} is not installed (scripts/bootstrap.sh installs it)")
        self.work.mkdir(parents=True, exist_ok=True)
        # postgrey, rspamd, Postfix's daemons and virtual(8) run as their own users and must
        # reach their folders in here.
        self.work.chmod(0o755)
        for parent in self.work.parents:
            if not os.stat(parent).st_mode & 0o001:
                raise RuntimeError(f"{parent} is not searchable by other users: the services' own users "
                                   f"cannot reach {self.work}; choose a work folder elsewhere (--work)")
        s = self.s
        self.versions["postfix"] = subprocess.run(["postconf", "-d", "-h", "mail_version"], capture_output=True,
                                                  text=True).stdout.strip()
        # Receiver.
        rin = self._postfix_instance("in", {
            "myhostname": "mx.receiver.test", "inet_interfaces": "loopback-only", "mynetworks": "",
            "virtual_mailbox_domains": "ok.test grey.test mx.test spam.test",
            "virtual_mailbox_base": str(self.work / "in" / "mail"),
            "virtual_mailbox_maps": f"texthash:{self.work / 'in' / 'etc' / 'vmailbox'}",
            "virtual_uid_maps": "static:65534", "virtual_gid_maps": "static:65534",
            "virtual_mailbox_limit": str(s.mailbox_size_limit), "message_size_limit": str(s.message_size_limit),
            "smtpd_relay_restrictions": "reject_unauth_destination",
            "smtpd_restriction_classes": "greylisting",
            "greylisting": f"check_policy_service inet:{POSTGREY[0]}:{POSTGREY[1]}",
            "smtpd_recipient_restrictions":
                f"reject_unauth_destination, reject_unlisted_recipient, "
                f"check_recipient_access texthash:{self.work / 'in' / 'etc' / 'greylist_domains'}",
            "transport_maps": f"texthash:{self.work / 'in' / 'etc' / 'transport'}",
            "smtpd_milters": f"inet:{RSPAMD_MILTER[0]}:{RSPAMD_MILTER[1]}" if s.rspamd else "",
            "milter_default_action": "tempfail", "milter_protocol": "6",
        }, RECEIVER_PORT)
        mail = rin / "mail"
        mail.mkdir(exist_ok=True)
        (rin / "etc" / "vmailbox").write_text("".join(
            f"{u}@{dom} {dom}/{u}\n" for dom in ("ok.test", "grey.test", "mx.test", "spam.test") for u in KNOWN_USERS))
        (rin / "etc" / "greylist_domains").write_text("grey.test greylisting\n")
        (rin / "etc" / "transport").write_text("sender.test discard:\n")
        for dom in ("ok.test", "grey.test", "mx.test", "spam.test"):
            (mail / dom).mkdir(exist_ok=True)
            # The 'full' mailbox is over its size limit already: every delivery to it fails.
            (mail / dom / "full").write_bytes(b"From x\n" + b"x" * (s.mailbox_size_limit + 1) + b"\n")
        subprocess.run(["chown", "-R", "65534:65534", str(mail)], check=True)
        # Sender.
        sout = self._postfix_instance("out", {
            "myhostname": "mta.sender.test", "myorigin": "sender.test", "inet_interfaces": "loopback-only",
            "mynetworks": "127.0.0.0/8",
            "smtpd_relay_restrictions": "permit_mynetworks, reject",
            "transport_maps": f"texthash:{self.work / 'out' / 'etc' / 'transport'}",
            "minimal_backoff_time": f"{s.minimal_backoff_s}s", "maximal_backoff_time": f"{s.maximal_backoff_s}s",
            "queue_run_delay": f"{s.queue_run_delay_s}s", "maximal_queue_lifetime": f"{s.lifetime_s}s",
            "bounce_queue_lifetime": f"{s.lifetime_s}s", "message_size_limit": "10240000",
            # All next hops share 127.0.0.1; a cached session to one port must not be reused
            # for another (it was: the never-answering hop "answered" with the receiver).
            "smtp_connection_cache_on_demand": "no", "smtp_connection_cache_destinations": "",
        }, SENDER_PORT)
        hop = f"[{RECEIVER_IP}]:{RECEIVER_PORT}"
        dead = f"[{DEAD_IP}]:{DEAD_PORT}"
        (sout / "etc" / "transport").write_text(
            f"ok.test smtp:{hop}\ngrey.test smtp:{hop}\nspam.test smtp:{hop}\n"
            f"mx.test smtp:{dead}, {hop}\n"       # Postfix 3.5+: a list of next hops, tried in order
            f"dead.test smtp:{dead}\nsender.test discard:\n")
        try:
            self._start_redis()
            if s.rspamd:
                self._start_rspamd()
            self._start_postgrey()
            self._start_postfix(rin)
            _wait_port(RECEIVER_IP, RECEIVER_PORT, 30, "receiving postfix")
            self._start_postfix(sout)
            _wait_port(SENDER_IP, SENDER_PORT, 30, "sending postfix")
        except BaseException:
            self.stop()
            raise
        return self

    # --- use ----------------------------------------------------------------------------
    def send(self, messages: list[dict]) -> None:
        """Submit messages ({from, to, subject, size}) to the sending Postfix over SMTP."""
        with smtplib.SMTP(SENDER_IP, SENDER_PORT, timeout=30) as smtp:
            for m in messages:
                msg = EmailMessage()
                msg["From"] = m["from"]
                msg["To"] = m["to"]
                msg["Subject"] = m.get("subject", "validation")
                msg["Message-ID"] = f"<{m['id']}@sender.test>"
                body = "delivsim validation message {}\n".format(m["id"])
                pad = max(0, int(m.get("size", 0)) - len(body) - 300)
                msg.set_content(body + ("x" * 76 + "\n") * (pad // 77))
                smtp.send_message(msg, from_addr=m["from"], to_addrs=[m["to"]])

    def queue_empty(self, name: str) -> bool:
        d = self.work / name / "spool"
        return not any(any((d / q).rglob("*")) and any(p.is_file() for p in (d / q).rglob("*"))
                       for q in ("incoming", "active", "deferred", "hold", "maildrop"))

    def wait_empty(self, timeout: float, names: tuple[str, ...] = ("out", "in")) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if all(self.queue_empty(n) for n in names):
                return True
            time.sleep(1)
        return False

    def log(self, name: str) -> Path:
        return self.work / name / "maillog"

    # --- tear-down ----------------------------------------------------------------------
    def stop(self) -> None:
        errors = []
        for d in reversed(self.postfix_dirs):
            pid_file = d / "spool" / "pid" / "master.pid"
            if not pid_file.exists():
                continue
            subprocess.run(["postfix", "-c", str(d / "etc"), "stop"], capture_output=True, timeout=60)
            try:
                pid = int(pid_file.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            for _ in range(50):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.2)
            else:
                try:
                    os.killpg(os.getpgid(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
                errors.append(f"postfix in {d} did not stop; killed")
        self.postfix_dirs.clear()
        for name, p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait(timeout=5)
        self.procs.clear()
        if errors:
            raise RuntimeError("; ".join(errors))

    def __enter__(self) -> "Lab":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
