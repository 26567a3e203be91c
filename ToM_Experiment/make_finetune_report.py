#!/usr/bin/env python
"""Write the finetuning study's report (base / SFT / PPO / DPO ToM accuracy, stage measurements, data, time).

Same as ``tom-finetune-report``; flags and examples: ``--help`` or tomlab/commands/finetune_report.py.
"""

from tomlab.commands.finetune_report import main

if __name__ == "__main__":
    raise SystemExit(main())
