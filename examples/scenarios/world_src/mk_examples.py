import os; exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'mkworld.py')).read())
import copy
clean = dict(stale=0.005, trap=0.02, complaint=0.0005, engagement=0.2, not_spam=0.02)
# warmup: the same mail from two new IPs, one ramped, one at full volume from day 1
w = world("warmup", "two new dedicated IPs with the same mail and clean lists: one ramps its hourly volume up 1.5x a day to 5000/h, the other sends 5000/h from the first hour", 21,
  [lst("ramp_list", 200000, **clean), lst("fast_list", 200000, **clean)],
  [{"name": "slow_ramp", "class": "newsletter", "domain": "ramp.example", "ips": ["203.0.113.10"],
    "schedule": [{"type": "ramp", "list": "ramp_list", "rate_per_hour": 200, "daily_growth": 1.5, "max_per_hour": 5000}]},
   {"name": "fast_ramp", "class": "newsletter", "domain": "fast.example", "ips": ["198.51.100.10"],
    "schedule": [{"type": "steady", "list": "fast_list", "rate_per_hour": 5000}]}])
json.dump(w, open('examples/scenarios/warmup.json','w'), indent=1)
# noisy neighbour: a clean shop and a spammer on one ESP's shared pool (same /24)
w = world("noisy_neighbour", "an online shop and a spammer send through the same four shared IPs of an email service provider's pool (one /24); the spammer runs from day 5 to day 10", 20,
  [lst("shop_customers", 100000, **clean),
   lst("scraped", 300000, stale=0.1, trap=0.05, complaint=0.003, engagement=0.01, not_spam=0.001)],
  [{"name": "shop", "class": "newsletter", "domain": "shop.example", "ips": ["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13"], "pool": "esp_shared",
    "schedule": [{"type": "daily_cycle", "list": "shop_customers", "rate_per_hour": 400, "amplitude": 0.6, "peak_hour": 15}]},
   {"name": "spammer", "class": "spam", "domain": "deals.example", "ips": ["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13"], "pool": "esp_shared",
    "schedule": [{"type": "steady", "list": "scraped", "rate_per_hour": 500, "start_s": 432000, "end_s": 864000}]}])
json.dump(w, open('examples/scenarios/noisy_neighbour.json','w'), indent=1)
# complaint spiral: weekly campaigns to an old list with stale addresses and complaint-prone recipients
w = world("complaint_spiral", "a retailer mails an old, bought-in list every two days: 4% stale addresses (2% of them recycled spam traps) and recipients who report 0.6% of what reaches their inbox", 28,
  [lst("old_list", 20000, stale=0.04, trap=0.02, complaint=0.006, engagement=0.03, not_spam=0.002)],
  [{"name": "retailer", "class": "newsletter", "domain": "retail.example", "ips": ["203.0.113.50"],
    "schedule": [{"type": "campaign", "id": f"c{k}", "list": "old_list", "at_s": 36000 + k*172800, "messages": 20000, "spread_s": 86400} for k in range(14)]}], bucket=21600)
json.dump(w, open('examples/scenarios/complaint_spiral.json','w'), indent=1)
