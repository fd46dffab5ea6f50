"""An agent process for the takeover test: watches FOLDER for new files; each run appends a line to RUNLOG.

Usage: python agent_process.py URL FOLDER RUNLOG HOLDER
"""

from __future__ import annotations

import sys
from pathlib import Path

from loopline.config import TriggerSection
from loopline.triggers import Agent, LeaseStore, RunOutcome, TriggerChecks, TriggerStore


def main(url: str, folder: str, runlog: str, holder: str) -> None:
    def run(pipeline: str, params: object) -> RunOutcome:
        with open(runlog, "a", encoding="utf-8") as handle:
            handle.write(f"{holder} {pipeline}\n")
        return RunOutcome(run_id=None, ok=True)

    triggers = {"arrivals": TriggerSection(kind="new_data", path=folder, pipeline="train")}
    with TriggerStore(url) as store, LeaseStore(url) as leases:
        checks = TriggerChecks(Path(folder).parent, metadata_url=url)
        Agent(triggers, store=store, leases=leases, checks=checks, run=run, holder=holder,
              lease_s=1.0, interval_s=0.1).run_forever()


if __name__ == "__main__":
    main(*sys.argv[1:5])
