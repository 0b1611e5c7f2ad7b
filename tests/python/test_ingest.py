"""delivsim.ingest: Postfix logs and DMARC aggregate reports, on logs the real software wrote
in the validation harness (tests/data/ingest, from `validation/run.py --quick`) and on
hand-written edge cases."""

import gzip
import zipfile
from pathlib import Path

import pytest

from delivsim import ingest
from delivsim.ingest import IngestError

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"


# --- Postfix logs written by the real Postfix 3.7 of the harness ---------------------------

def test_real_sender_log_joins_every_message():
    df = ingest.postfix_log(DATA / "sender.maillog", year=2026)
    real = df[~df["notification"]]
    kinds = real["message_id"].str.split("-").str[0].value_counts().to_dict()
    assert kinds == {"ok": 2, "unknown_user": 2, "too_big": 2, "greylist_new": 3, "unreachable": 3}
    by_kind = {k: g for k, g in real.groupby(real["message_id"].str.split("-").str[0])}
    assert set(by_kind["ok"]["final_status"]) == {"sent"}
    assert set(by_kind["unknown_user"]["final_dsn"]) == {"5.1.1"}
    assert set(by_kind["unknown_user"]["attempts"].map(lambda a: a[0]["reply_code"])) == {550}
    assert set(by_kind["too_big"]["final_dsn"]) == {"5.3.4"}
    # Greylisted first (450 4.2.0 from postgrey through Postfix), delivered on a retry.
    grey = by_kind["greylist_new"]
    assert set(grey["final_status"]) == {"sent"}
    assert all(a[0]["dsn"] == "4.2.0" and a[0]["reply_code"] == 450 for a in grey["attempts"])
    assert (grey["n_attempts"] > 1).all()
    # The unreachable next hop: deferred 4.4.1 until the queue lifetime (60 s) expires.
    dead = by_kind["unreachable"]
    assert set(dead["final_status"]) == {"expired"} and set(dead["final_dsn"]) == {"4.4.7"}
    for atts in dead["attempts"]:
        times = [a["time_s"] for a in atts]
        assert times == sorted(times) and times[0] < 2 and times[-1] >= 60
        assert {a["dsn"] for a in atts} == {"4.4.1"}
    # Bounce notices the sender's Postfix sent itself are marked, and linked to their message.
    assert df["notification"].sum() >= 5
    assert real.loc[real["final_status"] != "sent", "notice_queue_id"].notna().all()


def test_real_sender_log_summary_in_delivsim_words():
    s = ingest.postfix_log(DATA / "sender.maillog", year=2026).summary()
    assert s["messages"] == 12
    assert s["outcomes"] == {"delivered": 5, "bounced": 7, "still_queued": 0}
    assert s["bounces"] == {"4.4.7": 3, "5.1.1": 2, "5.3.4": 2}
    assert s["accepted_at_attempt"][0] == 2 and sum(s["accepted_at_attempt"].values()) == 5


def test_real_receiver_log():
    df = ingest.postfix_log(DATA / "receiver.maillog", year=2026)
    # The receiver logs only what it accepted: the ok and greylisted mail, delivered by virtual(8).
    assert set(df["final_status"]) == {"sent"}
    assert len(df) == 5


# --- hand-written edge cases --------------------------------------------------------------

SYSLOG = """\
2026-03-01T10:00:00.100000+00:00 mx postfix/smtpd[1]: 4A1B2C3D4E: client=a.example[192.0.2.1]
2026-03-01T10:00:00.200000+00:00 mx postfix/cleanup[2]: 4A1B2C3D4E: message-id=<m1@a.example>
2026-03-01T10:00:00.300000+00:00 mx postfix/qmgr[3]: 4A1B2C3D4E: from=<s@a.example>, size=1200, nrcpt=2 (queue active)
2026-03-01T10:00:01.000000+00:00 mx postfix/smtp[4]: 4A1B2C3D4E: to=<x@b.example>, relay=mx.b.example[192.0.2.2]:25, delay=0.9, delays=0.1/0/0.3/0.5, dsn=2.0.0, status=sent (250 2.0.0 OK)
2026-03-01T10:00:01.100000+00:00 mx postfix/smtp[4]: 4A1B2C3D4E: to=<y@b.example>, relay=mx.b.example[192.0.2.2]:25, delay=1, delays=0.1/0/0.3/0.6, dsn=4.2.2, status=deferred (host mx.b.example[192.0.2.2] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command))
2026-03-01T10:05:01.000000+00:00 mx postfix/qmgr[3]: 4A1B2C3D4E: from=<s@a.example>, size=1200, nrcpt=2 (queue active)
2026-03-01T10:05:01.500000+00:00 mx postfix/smtp[5]: 4A1B2C3D4E: to=<y@b.example>, relay=mx.b.example[192.0.2.2]:25, delay=301, delays=300/0/0.3/0.6, dsn=4.2.2, status=deferred (host mx.b.example[192.0.2.2] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command))
2026-03-06T10:00:02.000000+00:00 mx postfix/qmgr[3]: 4A1B2C3D4E: from=<s@a.example>, status=expired, returned to sender
2026-03-06T10:00:03.000000+00:00 mx dovecot[9]: unrelated line from another program
"""


def test_syslog_form_with_two_recipients_and_expiry(tmp_path):
    p = tmp_path / "mail.log"
    p.write_text(SYSLOG)
    df = ingest.postfix_log(p)
    assert list(df["recipient"]) == ["x@b.example", "y@b.example"]
    x, y = df.iloc[0], df.iloc[1]
    assert x["final_status"] == "sent" and x["n_attempts"] == 1 and x["size"] == 1200
    assert y["final_status"] == "expired" and y["final_dsn"] == "4.4.7" and y["n_attempts"] == 2
    assert [a["time_s"] for a in y["attempts"]] == [1.0, 301.0]  # Postfix's delay=
    assert y["attempts"][0]["reply_code"] == 452
    assert y["final_time_s"] == pytest.approx(5 * 86400 + 1.7, abs=0.01)
    assert df.summary()["bounces"] == {"4.4.7": 1}


def test_year_less_syslog_rolls_over_new_year(tmp_path):
    p = tmp_path / "mail.log"
    p.write_text("Dec 31 23:59:59 mx postfix/qmgr[3]: ABCDE12345: from=<s@a.example>, size=1, nrcpt=1 (queue active)\n"
                 "Jan  1 00:00:04 mx postfix/smtp[4]: ABCDE12345: to=<x@b.example>, relay=b[192.0.2.2]:25, "
                 "delay=5, delays=0/0/0/0, dsn=2.0.0, status=sent (250 OK)\n")
    df = ingest.postfix_log(p, year=2025)
    assert df.iloc[0]["attempts"][0]["time_s"] == pytest.approx(5)
    assert df.iloc[0]["arrival"] == pytest.approx(1767225599)


def test_gzipped_log(tmp_path):
    p = tmp_path / "mail.log.gz"
    p.write_bytes(gzip.compress(SYSLOG.encode()))
    assert len(ingest.postfix_log(p)) == 2


@pytest.mark.parametrize("text, rule", [
    ("this is not a log line\n", "not a syslog or maillog_file line"),
    ("Mar  1 10:00:00 mx postfix/smtp[4]: ABCDE12345: to=<x@b.example>, delay=1, dsn=2.0.0\n",
     "a delivery line without relay= and status="),
    ("Mar  1 10:00:00 mx postfix/qmgr[3]: ABCDE12345: from=<s@a.example>, size=big, nrcpt=1 (queue active)\n",
     "size='big' is not a number"),
])
def test_malformed_lines_name_file_and_line(tmp_path, text, rule):
    p = tmp_path / "bad.log"
    p.write_text("Mar  1 09:59:59 mx postfix/master[1]: daemon started\n" + text)
    with pytest.raises(IngestError, match=rf"bad\.log:2: .*{rule.split('(')[0][:30]}"):
        ingest.postfix_log(p)
    assert len(ingest.postfix_log(p, strict=False)) == 0


def test_huge_line_is_refused_not_read(tmp_path):
    p = tmp_path / "huge.log"
    p.write_bytes(b"Mar  1 10:00:00 mx postfix/smtp[4]: " + b"A" * (ingest.MAX_LINE_BYTES + 10) + b"\n")
    with pytest.raises(IngestError, match=r"huge\.log:1: line longer than"):
        ingest.postfix_log(p)


def test_truncated_gzip_is_an_error(tmp_path):
    p = tmp_path / "cut.log.gz"
    p.write_bytes(gzip.compress(SYSLOG.encode() * 50)[:300])
    with pytest.raises(IngestError, match=r"cut\.log\.gz:\d+: cannot be read"):
        ingest.postfix_log(p)


def test_missing_file():
    with pytest.raises(IngestError, match="is not a file"):
        ingest.postfix_log("/nonexistent/mail.log")


# --- DMARC aggregate reports --------------------------------------------------------------

REPORT = """<?xml version="1.0" encoding="UTF-8" ?>
<feedback>
  <report_metadata>
    <org_name>google.com</org_name>
    <email>noreply-dmarc-support@google.com</email>
    <report_id>1234567890</report_id>
    <date_range><begin>1767225600</begin><end>1767311999</end></date_range>
  </report_metadata>
  <policy_published>
    <domain>sender.example</domain><adkim>r</adkim><aspf>r</aspf><p>reject</p><sp>reject</sp><pct>100</pct>
  </policy_published>
  <record>
    <row><source_ip>192.0.2.10</source_ip><count>90</count>
      <policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>
    <identifiers><header_from>sender.example</header_from></identifiers>
    <auth_results>
      <dkim><domain>mail.sender.example</domain><result>pass</result><selector>s1</selector></dkim>
      <spf><domain>sender.example</domain><result>pass</result></spf>
    </auth_results>
  </record>
  <record>
    <row><source_ip>198.51.100.7</source_ip><count>10</count>
      <policy_evaluated><disposition>reject</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated></row>
    <identifiers><header_from>sender.example</header_from></identifiers>
    <auth_results>
      <dkim><domain>other.example</domain><result>pass</result></dkim>
      <spf><domain>bounce.other.example</domain><result>softfail</result></spf>
    </auth_results>
  </record>
</feedback>
"""


def test_dmarc_report_rows_and_alignment(tmp_path):
    p = tmp_path / "google.xml"
    p.write_text(REPORT)
    df = ingest.dmarc_aggregate(p)
    assert list(df["count"]) == [90, 10]
    assert list(df["dkim_aligned"]) == [True, False]  # relaxed: mail.sender.example aligns
    assert list(df["spf_aligned"]) == [True, False]
    assert list(df["disposition"]) == ["none", "reject"]
    mix = ingest.authentication_mix(df, "sender.example")
    assert mix["messages"] == 100
    assert mix["dmarc_pass"] == pytest.approx(0.9)
    assert mix["dmarc"] == {"pass": 0.9, "none": 0.0, "fail_reject": pytest.approx(0.1), "fail_quarantine": 0.0}


def test_dmarc_gz_zip_and_folder(tmp_path):
    (tmp_path / "a.xml.gz").write_bytes(gzip.compress(REPORT.encode()))
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as z:
        z.writestr("b.xml", REPORT)
    (tmp_path / "notes.txt").write_text("ignored")
    df = ingest.dmarc_aggregate(tmp_path)
    assert len(df) == 4 and df["count"].sum() == 200
    assert any("b.zip!b.xml" in s for s in df["source"])


def test_dmarc_xml_bomb_is_refused(tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><feedback>&lol2;</feedback>')
    p = tmp_path / "bomb.xml"
    p.write_text(bomb)
    with pytest.raises(IngestError, match=r"bomb\.xml: refused"):
        ingest.dmarc_aggregate(p)


@pytest.mark.parametrize("mutate, where", [
    (lambda r: r.replace("</feedback>", ""), r"bad\.xml:\d+: not well-formed"),
    (lambda r: r.replace("<report_id>1234567890</report_id>", ""), r"<report_metadata>: <report_id> is missing"),
    (lambda r: r.replace("<count>10</count>", "<count>ten</count>"), r"<record\[1\]>: <count> 'ten' is not a whole number"),
    (lambda r: r.replace("<feedback>", "<report>").replace("</feedback>", "</report>"), "root element <report>"),
])
def test_dmarc_malformed_names_file_and_element(tmp_path, mutate, where):
    p = tmp_path / "bad.xml"
    p.write_text(mutate(REPORT))
    with pytest.raises(IngestError, match=where):
        ingest.dmarc_aggregate(p)


def test_dmarc_empty_folder(tmp_path):
    with pytest.raises(IngestError, match="holds no"):
        ingest.dmarc_aggregate(tmp_path)


hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=150, deadline=None, database=None)
@given(st.binary(max_size=3000))
def test_hypothesis_random_log_bytes_never_crash(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("fuzz") / "x.log"
    p.write_bytes(data)
    try:
        ingest.postfix_log(p)
    except IngestError:
        pass


@settings(max_examples=150, deadline=None, database=None)
@given(st.integers(0, len(REPORT)), st.text(max_size=40))
def test_hypothesis_damaged_reports_never_crash(tmp_path_factory, cut, junk):
    p = tmp_path_factory.mktemp("fuzz") / "r.xml"
    p.write_text(REPORT[:cut] + junk + REPORT[cut:])
    try:
        ingest.dmarc_aggregate(p)
    except IngestError:
        pass
