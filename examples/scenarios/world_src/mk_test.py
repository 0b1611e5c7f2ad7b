import os; exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'mkworld.py')).read())
import copy
recv = copy.deepcopy(receivers)
recv["bigmail"]["rate_limit"] = {"per_ip_per_hour": 300, "per_subnet_per_hour": 500, "history_factor": 0.5}
recv["corp"]["mailbox"]["quota_bytes"] = 300000
w = world("stateful_small", "every kind of state, small enough for unit tests: throttling, greylisting, full mailboxes, complaints", 3,
  [lst("customers", 3000, stale=0.05, trap=0.3, complaint=0.003), lst("bought", 2000, stale=0.2, trap=0.5, complaint=0.01)],
  [{"name": "shop", "class": "newsletter", "domain": "shop.example", "ips": ["192.0.2.10", "192.0.2.11"], "pool": "esp",
    "schedule": [{"type": "daily_cycle", "list": "customers", "rate_per_hour": 150, "amplitude": 0.8, "peak_hour": 14},
                 {"type": "campaign", "id": "spring", "list": "customers", "at_s": 90000, "messages": 3000, "spread_s": 7200}]},
   {"name": "spammer", "class": "spam", "domain": "deals.example", "ips": ["192.0.2.20"], "pool": "esp",
    "schedule": [{"type": "steady", "list": "bought", "rate_per_hour": 400, "start_s": 20000, "end_s": 200000}]},
   {"name": "bank", "class": "newsletter", "domain": "bank.example", "ips": ["198.51.100.5"],
    "schedule": [{"type": "ramp", "list": "customers", "rate_per_hour": 20, "daily_growth": 2, "max_per_hour": 200}]}],
  epoch=3600, bucket=21600, recv=recv)
json.dump(w, open('tests/data/world/stateful_small.json','w'), indent=1)
