import json
def num(desc, minimum=None, exclusive=None, maximum=None):
    d = {"type": "number", "description": desc}
    if minimum is not None: d["minimum"] = minimum
    if exclusive is not None: d["exclusiveMinimum"] = exclusive
    if maximum is not None: d["maximum"] = maximum
    return d
def prob(desc): return num(desc, 0, None, 1)
def integer(desc, minimum=0): return {"type": "integer", "minimum": minimum, "description": desc}
def obj(desc, props, required=()):
    return {"type": "object", "description": desc, "additionalProperties": False, "properties": props, "required": list(required)}
name = {"type": "string", "minLength": 1}
rate_common = {
  "type": {"description": "the item's kind"},
  "list": dict(name, description="the recipient list it sends to (a lists[].name)"),
  "rate_per_hour": num("messages per hour (ramp: on the first day; daily_cycle: the daily mean)", 0),
  "start_s": num("start of the active period, seconds from the world's start", 0),
  "end_s": num("end of the active period (at least start_s)", 0),
}
steady = obj("a constant rate in [start_s, end_s): with both given, a burst", dict(rate_common, type={"const": "steady", "description": "the item's kind"}), ["type", "list", "rate_per_hour"])
cycle = obj("a daily cycle: rate = rate_per_hour * (1 + amplitude * cos(2 pi (hour - peak_hour) / 24))",
            dict(rate_common, type={"const": "daily_cycle", "description": "the item's kind"}, amplitude=prob("relative swing around the mean, 0 to 1"),
                 peak_hour=num("hour of the day (0 to 24, exclusive) with the highest rate", 0)),
            ["type", "list", "rate_per_hour", "amplitude", "peak_hour"])
cycle["properties"]["peak_hour"]["exclusiveMaximum"] = 24
ramp = obj("a ramp: rate_per_hour on the first day, multiplied by daily_growth each simulated day, capped at max_per_hour",
           dict(rate_common, type={"const": "ramp", "description": "the item's kind"}, daily_growth=num("factor per day", None, 0), max_per_hour=num("cap on the hourly rate", 0)),
           ["type", "list", "rate_per_hour", "daily_growth", "max_per_hour"])
campaign = obj("a campaign: `messages` messages to list members 0, 1, ... (mod the list size), spread evenly over spread_s from at_s",
               {"type": {"const": "campaign", "description": "the item's kind"}, "list": dict(name, description="the recipient list (a lists[].name)"),
                "id": dict(name, description="campaign id, unique within the sender (loader-checked)"),
                "at_s": num("start, seconds from the world's start; before duration_s (loader-checked)", 0),
                "messages": integer("number of messages, below 2^32"), "spread_s": num("period over which the messages are spread (0: all at at_s)", 0)},
               ["type", "list", "id", "at_s", "messages"])
effect = obj("what this level does to a message", {"content_adjustment": num("added to the content score before the profile's content filter"),
             "rate_multiplier": num("scales the throttle allowance", 0), "reject": prob("probability per attempt of 550 5.7.1")})
reputation = obj("sender reputation per IP, sender domain and IP pool, Postmaster-style levels (docs/world.md)", {
  "half_life_s": num("half-life of the decaying counts (volume, complaints, engagement, trap hits)", None, 0),
  "prior": prob("badness of an entity without history (a new IP)"),
  "prior_volume": num("pseudo-volume of the prior: how much history outweighs it", None, 0),
  "trap_weight": num("a spam-trap hit counts as this many complaints (default 10)", 0),
  "engagement_weight": num("an engagement event offsets this many complaints (default 0.01)", 0),
  "high_below": prob("badness below which the level is high (default 0.001: Google's 0.1%)"),
  "medium_below": prob("badness below which the level is medium (default 0.003: Google's 0.3%); at least high_below"),
  "bad_above": prob("badness from which the level is bad (default 0.01); at least medium_below"),
  "weights": obj("how a message's badness mixes its IP's, its sender domain's and its pool's (sum 1)",
                 {"ip": num("weight of the sending IP", 0), "domain": num("weight of the sender's domain", 0), "pool": num("weight of the IP's pool (an IP without a pool: its own badness)", 0)}, ["ip", "domain", "pool"]),
  "levels": obj("effects per level (a level not given has none)", {k: effect for k in ("bad", "low", "medium", "high")})},
  ["half_life_s", "prior", "prior_volume", "levels"])
receiver = obj("the state a receiving domain keeps; an absent part is a thing it does not do", {
  "rate_limit": obj("token buckets per sending IP and per /24 (421 4.7.0, a connection-level throttle), one hour of allowance each",
      {"per_ip_per_hour": num("allowance of an IP with no history", None, 0), "per_subnet_per_hour": num("allowance of a /24 with no history", None, 0),
       "history_factor": num("plus this times the recently accepted messages per hour", 0)}, ["per_ip_per_hour", "per_subnet_per_hour"]),
  "reputation": reputation,
  "greylist": obj("greylisting with triplet memory, as postgrey", {"delay_s": num("minimum wait before a retry passes", 0),
      "retry_window_s": num("a retry later than this starts over (at least delay_s)", 0),
      "auto_whitelist_after": integer("successful retries after which a client IP is whitelisted (0: never)")}, ["delay_s", "retry_window_s", "auto_whitelist_after"]),
  "mailbox": obj("mailboxes with a quota, filled by accepted mail, emptied by their owners", {
      "quota_bytes": integer("quota of every mailbox", 1), "initial_fill": prob("initial fill, uniform in [0, x] of the quota"),
      "empty_every_s": num("owners empty their mailbox this often, each at its own phase", None, 0),
      "never_empty": prob("share of owners who never empty it"),
      "when_full": {"enum": ["temporary", "permanent"], "description": "452 4.2.2 (the queue retries) or 552 5.2.2"}},
      ["quota_bytes", "empty_every_s", "never_empty", "when_full"]),
  "feedback_delay_s": num("complaints, engagement and trap hits reach reputation this much later", 0)})
schema = {
 "$schema": "https://json-schema.org/draft/2020-12/schema",
 "$id": "https://delivsim.example/schema/world.schema.json",
 "title": "delivsim world (format delivsim-world/1)",
 "description": "A delivsim world: senders on schedules, recipient lists, and receiving domains that remember (docs/world.md). Mirrors the C++ loader (libdelivsim/include/delivsim/world/world.hpp, parse_world) where JSON Schema can; rules only the loader enforces: names refer to existing lists, sender classes and profiles; every profile has receiver settings; list domain weights and reputation weights sum to 1; campaign ids are unique per sender and start before duration_s; end_s >= start_s; bucket_s is a whole multiple of epoch_s; an IP is in one pool; limits on counts and result memory.",
 "type": "object", "additionalProperties": False,
 "required": ["format", "name", "duration_s", "epoch_s", "bucket_s", "scenario", "lists", "senders", "receivers"],
 "properties": {
  "format": {"const": "delivsim-world/1", "description": "the format and its version"},
  "name": dict(name, description="the world's name"),
  "description": {"type": "string", "description": "free text"},
  "duration_s": num("sending period in seconds; the run continues until every queue has drained", None, 0),
  "epoch_s": num("simulation epoch in seconds (at least 60): levels and limits are recomputed at epoch ends", 60),
  "bucket_s": num("time-series bucket, a whole multiple of epoch_s", None, 0),
  "scenario": {"$ref": "scenario.schema.json", "description": "the embedded scenario: sender classes, recipient profiles (without greylist and mailbox_quota policies) and the retry schedule"},
  "class_feedback": {"type": "object", "description": "per sender class name: factors on the lists' feedback probabilities",
                     "additionalProperties": obj("feedback factors of one class", {"complaint_factor": num("multiplies `complaint`", 0), "engagement_factor": num("multiplies `engagement` and `not_spam`", 0)})},
  "lists": {"type": "array", "minItems": 1, "description": "recipient lists", "items": obj("a recipient list", {
      "name": dict(name, description="unique list name"), "recipients": integer("number of recipients", 1),
      "stale": prob("share of stale addresses"), "spam_trap": prob("share of the stale addresses that are spam traps"),
      "complaint": prob("per message in the inbox: 'report spam'"), "engagement": prob("per message in the inbox: opened or replied"),
      "not_spam": prob("per message in the spam folder: 'not spam'"),
      "domains": {"type": "object", "minProperties": 1, "description": "mixture over recipient profile names (sum 1)", "additionalProperties": prob("share of the list at this profile")}},
      ["name", "recipients", "stale", "complaint", "engagement", "domains"])},
  "senders": {"type": "array", "minItems": 1, "description": "senders", "items": obj("a sender", {
      "name": dict(name, description="unique sender name"), "class": dict(name, description="a sender class of the embedded scenario"),
      "domain": dict(name, description="the sender's domain: one reputation entity, may be shared by senders"),
      "ips": {"type": "array", "minItems": 1, "description": "sending IPv4 addresses; an address listed by several senders is one shared IP", "items": {"type": "string", "description": "dotted quad"}},
      "pool": dict(name, description="the IP pool (shared ESP range) its IPs belong to"),
      "schedule": {"type": "array", "description": "what it sends when", "items": {"oneOf": [steady, cycle, ramp, campaign]}}},
      ["name", "class", "domain", "ips", "schedule"])},
  "receivers": {"type": "object", "description": "settings per recipient profile name (every profile)", "additionalProperties": receiver}}}
json.dump(schema, open("libdelivsim/schema/world.schema.json", "w"), indent=2)
