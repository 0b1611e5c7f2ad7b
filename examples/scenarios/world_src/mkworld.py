import json, copy, sys
scenario = {
 "format": "delivsim-scenario/1", "name": "world_base",
 "description": "sender classes and receiving domains shared by the world examples",
 "retry": {"first_retry_s": 300, "backoff_factor": 2, "max_backoff_s": 4000, "lifetime_s": 432000},
 "sender_classes": [
  {"name": "newsletter", "weight": 0.9, "legit": True,
   "address_error": {"probability": 0.002, "kinds": {"nxdomain": 0.5, "unknown_user": 0.35, "typosquat": 0.15}},
   "ip_listed": 0.0, "size_bytes": [{"bytes": 30000, "weight": 1.0}], "dmarc": {"pass": 1.0},
   "content_score": {"mean": 1.0, "sd": 1.5}},
  {"name": "spam", "weight": 0.1, "legit": False,
   "address_error": {"probability": 0.0, "kinds": {"nxdomain": 0.5, "unknown_user": 0.35, "typosquat": 0.15}},
   "ip_listed": 0.0, "size_bytes": [{"bytes": 20000, "weight": 1.0}], "dmarc": {"pass": 0.5, "none": 0.5},
   "content_score": {"mean": 4.0, "sd": 2.0}}],
 "recipient_profiles": [
  {"name": "bigmail", "description": "large consumer mailbox provider", "weight": 0.7,
   "mx": [{"host": "mx1.bigmail.example", "preference": 5, "down": 0.01}, {"host": "mx2.bigmail.example", "preference": 5, "down": 0.01}],
   "policies": [{"type": "size_limit", "max_bytes": 25000000}, {"type": "unknown_user"},
                {"type": "content_filter", "dmarc_adjustment": {"none": 1.0},
                 "actions": [{"min_score": 15, "action": "reject"}, {"min_score": 5, "action": "spam_folder"}]}]},
  {"name": "corp", "description": "company domains behind a gateway", "weight": 0.3,
   "mx": [{"host": "mx.corp.example", "preference": 10, "down": 0.02}],
   "policies": [{"type": "size_limit", "max_bytes": 10000000}, {"type": "unknown_user"},
                {"type": "content_filter", "actions": [{"min_score": 10, "action": "reject"}, {"min_score": 6, "action": "quarantine"}]}]}]}
reputation = {"half_life_s": 604800, "prior": 0.002, "prior_volume": 2000, "trap_weight": 5, "engagement_weight": 0.02,
  "high_below": 0.001, "medium_below": 0.003, "bad_above": 0.01,
  "weights": {"ip": 0.5, "domain": 0.3, "pool": 0.2},
  "levels": {"bad": {"content_adjustment": 6, "rate_multiplier": 0.2, "reject": 0.5},
             "low": {"content_adjustment": 3, "rate_multiplier": 0.5},
             "medium": {"content_adjustment": 0.5},
             "high": {"content_adjustment": -1, "rate_multiplier": 1.5}}}
receivers = {
 "bigmail": {"rate_limit": {"per_ip_per_hour": 300, "per_subnet_per_hour": 1000, "history_factor": 3.0},
             "reputation": reputation,
             "mailbox": {"quota_bytes": 15000000000, "initial_fill": 0.3, "empty_every_s": 2592000, "never_empty": 0.1, "when_full": "temporary"},
             "feedback_delay_s": 3600},
 "corp": {"rate_limit": {"per_ip_per_hour": 200, "per_subnet_per_hour": 600, "history_factor": 3.0},
          "reputation": reputation,
          "greylist": {"delay_s": 300, "retry_window_s": 172800, "auto_whitelist_after": 5},
          "mailbox": {"quota_bytes": 50000000, "initial_fill": 0.9, "empty_every_s": 604800, "never_empty": 0.05, "when_full": "temporary"},
          "feedback_delay_s": 7200}}
def world(name, desc, days, lists, senders, epoch=3600, bucket=86400, recv=None):
    return {"format": "delivsim-world/1", "name": name, "description": desc, "duration_s": days*86400,
            "epoch_s": epoch, "bucket_s": bucket, "scenario": scenario, "class_feedback": {"spam": {"complaint_factor": 10, "engagement_factor": 0.2}},
            "lists": lists, "senders": senders, "receivers": recv or receivers}
def lst(name, n, stale=0.01, trap=0.1, complaint=0.0005, engagement=0.2, not_spam=0.01, dom=None):
    return {"name": name, "recipients": n, "stale": stale, "spam_trap": trap, "complaint": complaint,
            "engagement": engagement, "not_spam": not_spam, "domains": dom or {"bigmail": 0.7, "corp": 0.3}}
