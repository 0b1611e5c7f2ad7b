"""Calibrate a global scenario to the published 2019 deliverability figures.

Source: Validity (Return Path), "2020 Email Deliverability Benchmark: analysis of worldwide
inbox and spam placement rates" (2020). It measured about 2 billion promotional messages sent
to seed mailboxes between 1 January and 31 December 2019: globally 83% reached the inbox
(85% in 2018), 7% the spam folder, and 10% were missing (in neither: blocked, bounced or
deferred by the mailbox provider). The same figures were reported by MediaPost, "Global Inbox
Placement Rates Fell By 2% Last Year, Validity Reports" (2020).

The scenario, examples/scenarios/global_2019.json, is that benchmark's world: one class of
legitimate promotional mail (seed addresses have no typos) sent to R1's three kinds of
receiver (consumer provider G, corporate gateway C, self-hosted H), whose seed mailboxes have
no rules and are never full. Two of its parameters are fitted: the content score's mean
(which moves mail to the spam folder, and at C to quarantine) and the share of mail sent from
blocklisted IPs (rejected at G and C). "Missing" is everything neither in the inbox nor in the
spam folder (delivsim.calibrate's definition).

The published figures are whole percents, so each is known to about +-0.5 point: the fit
weighs them with the standard deviation of a rounding error, 0.01/sqrt(12) (the sampling error
of 2 billion messages is negligible next to it). The stated uncertainty covers that rounding
and the simulation's own sampling; it assumes the model's structure, which is a choice.

    .venv/bin/python examples/calibration_2019.py [--messages N] [--seed S] [--plot out.png]
"""
from __future__ import annotations

import argparse
import math
import pathlib
import sys

import delivsim

SCENARIO = pathlib.Path(__file__).resolve().parent / "scenarios" / "global_2019.json"

#: Validity, 2020 Email Deliverability Benchmark: the 2019 global rates.
TARGETS = {"inbox": 0.83, "spam_folder": 0.07, "missing": 0.10}
#: The published figures are rounded to whole percents: a uniform error of +-0.5 point.
ROUNDING_SD = 0.01 / math.sqrt(12)

PARAMS = {
    "sender_classes.promotional.content_score.mean": (-5.0, 15.0),
    "sender_classes.promotional.ip_listed": (0.0, 1.0),
}


def main(argv: list[str] | None = None) -> delivsim.Calibration:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=500_000, help="messages per evaluation (default 500000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plot", help="save the calibration plot to this file")
    args = parser.parse_args(argv)

    scenario = delivsim.load_scenario(SCENARIO)
    fit = delivsim.calibrate(scenario, list(PARAMS), TARGETS, messages=args.messages, seed=args.seed,
                             bounds=PARAMS, target_sd=ROUNDING_SD)
    print("Calibration of", scenario.name, "to Validity's 2019 global figures "
          "(inbox 83%, spam folder 7%, missing 10%)")
    print(fit.frame().to_string(index=False))
    print()
    print(fit.residuals.to_string(index=False))
    print(f"\n{fit.evaluations} runs of {args.messages:,} messages, seed {args.seed}: {fit.message}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        fit.plot().figure.savefig(args.plot, dpi=100)
        print("plot:", args.plot)
    return fit


if __name__ == "__main__":
    main(sys.argv[1:])
