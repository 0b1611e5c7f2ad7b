"""Prints the figures the README quotes for the three world examples (seed 1).
    .venv/bin/python examples/scenarios/world_src/measure.py
"""
import copy
import json
import pathlib

from delivsim import world

EX = pathlib.Path(__file__).resolve().parents[1]


def inbox_rate(frame, sender, days=None):
    f = frame[frame["sender"] == sender]
    if days is not None:
        d = f.index.total_seconds() / 86400
        f = f[(d >= days[0]) & (d < days[1])]
    decided = f[list(world.OUTCOMES)].to_numpy().sum()
    return f["inbox"].sum() / decided


r = world.run(world.load(EX / "warmup.json"), seed=1)
f = r.timeseries()
t = r.report()
for s in ("slow_ramp", "fast_ramp"):
    print(f"warmup {s}: messages {t['by_class'][s]['inbox'] + sum(v for k, v in t['by_class'][s].items() if k != 'inbox')}, "
          f"inbox {inbox_rate(f, s):.2%}, 4.4.7 bounces {t['bounces_by_class'][s].get('4.4.7', 0)}, "
          f"deferrals {f[f.sender == s]['deferrals'].sum()}, max queue {f[f.sender == s]['queue'].max()}")

doc = json.loads((EX / "noisy_neighbour.json").read_text())
with_ = world.run(world.parse(doc), seed=1).timeseries()
alone = copy.deepcopy(doc)
alone["senders"][1]["schedule"][0]["rate_per_hour"] = 0
without = world.run(world.parse(alone), seed=1).timeseries()
for name, fr in (("with the spammer", with_), ("without", without)):
    shop = fr[fr.sender == "shop"]
    print(f"noisy_neighbour shop {name}: inbox days 0-5 {inbox_rate(fr, 'shop', (0, 5)):.2%}, "
          f"days 6-12 {inbox_rate(fr, 'shop', (6, 12)):.2%}, days 14-20 {inbox_rate(fr, 'shop', (14, 20)):.2%}, "
          f"worst bigmail level {shop['level:bigmail'].min()}, max badness {shop['reputation:bigmail'].max():.4f}")

r = world.run(world.load(EX / "complaint_spiral.json"), seed=1)
f = r.timeseries()
rep = f["reputation:bigmail"]
print(f"complaint_spiral: bigmail badness first bucket {rep.iloc[0]:.4f} ({f['level:bigmail'].iloc[0]}), "
      f"day 7 {rep.iloc[28]:.4f}, last {rep.iloc[-1]:.4f} ({f['level:bigmail'].iloc[-1]}); "
      f"inbox first two campaigns {inbox_rate(f, 'retailer', (0, 4)):.2%}, last four {inbox_rate(f, 'retailer', (20, 28)):.2%}")
