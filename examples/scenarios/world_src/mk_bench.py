# The benchmark world: 100 senders, 10 lists of 10^4 recipients (10^5 in all), 30 days; every
# sender mails its list once a day (a campaign spread over 8 hours), all receiver state on.
import os; exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'mkworld.py')).read())
import copy
recv = copy.deepcopy(receivers)
# Established senders: allowances that a day's campaigns fit into (throttling still active).
recv["bigmail"]["rate_limit"] = {"per_ip_per_hour": 3000, "per_subnet_per_hour": 20000, "history_factor": 1.0}
recv["corp"]["rate_limit"] = {"per_ip_per_hour": 1500, "per_subnet_per_hour": 10000, "history_factor": 1.0}
lists = [lst(f"list{k}", 10000) for k in range(10)]
senders = []
for s in range(100):
    senders.append({"name": f"sender{s:03d}", "class": "newsletter" if s % 10 else "spam", "domain": f"s{s}.example",
                    "ips": [f"10.{s // 50}.{s % 50}.{1 + j}" for j in range(2)], **({"pool": f"esp{s % 5}"} if s % 2 else {}),
                    "schedule": [{"type": "campaign", "id": f"day{d}", "list": f"list{s % 10}", "at_s": d * 86400 + 3600 * (s % 12),
                                  "messages": 10000, "spread_s": 28800} for d in range(30)]})
w = world("bench_campaigns", "benchmark: 100 senders, 10^5 recipients, daily campaigns for 30 days", 30, lists, senders, recv=recv)
json.dump(w, open('benchmarks/world_campaigns.json', 'w'))
