"""Training curves: read a stage's TensorBoard event files and draw its curves as one PNG per stage.

Each stage logs through transformers' TensorBoard callback to ``<output_dir>/runs/``; tags are the trainer's log
keys with a ``train/`` or ``eval/`` prefix. The panels per stage are those that say whether it learned:

* SFT: loss; reward model: loss, pairwise accuracy, margin; PPO: reward-model score, KL, entropy;
  DPO: loss, implicit-reward margin and accuracy; GRPO: reward of the sampled answers (and its gold and format
  terms), their length in tokens, the share of prompts whose answers all scored alike, entropy and KL.
"""

from __future__ import annotations

import json
from pathlib import Path

from .common import EVENTS_DIR, METRICS_FILE

#: Panels per stage: (title, [tags drawn in it]).
PANELS = {
    "sft": [("loss", ["train/loss", "eval/loss"])],
    "reward": [("loss", ["train/loss", "eval/loss"]), ("pairwise accuracy", ["train/accuracy", "eval/accuracy"]),
               ("margin chosen - rejected", ["train/margin", "eval/margin"])],
    "ppo": [("reward-model score of the rollouts", ["train/objective/scores", "train/objective/rlhf_reward"]),
            ("KL(policy || reference)", ["train/objective/kl"]), ("entropy", ["train/objective/entropy"])],
    "dpo": [("loss", ["train/loss", "eval/loss"]),
            ("implicit-reward margin", ["train/rewards/margins", "eval/rewards/margins"]),
            ("implicit-reward accuracy", ["train/rewards/accuracies", "eval/rewards/accuracies"])],
    "grpo": [("reward of the sampled answers", ["train/reward", "train/rewards/gold_reward/mean",
                                                "train/rewards/format_reward/mean"]),
             ("answer length (tokens)", ["train/completions/mean_length"]),
             ("prompts whose answers all scored alike", ["train/frac_reward_zero_std"]),
             ("entropy, KL(policy || reference)", ["train/entropy", "train/kl"])],
}


def read_scalars(stage_dir: str | Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar logged under ``<stage_dir>/runs``: tag -> [(step, value)], in step order (all runs together,
    so a resumed stage reads as one curve)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    series: dict[str, list[tuple[int, float]]] = {}
    for run in sorted(p for p in (Path(stage_dir) / EVENTS_DIR).glob("*") if p.is_dir()):
        acc = EventAccumulator(str(run), size_guidance={"scalars": 0})
        acc.Reload()
        for tag in acc.Tags()["scalars"]:
            series.setdefault(tag, []).extend((e.step, e.value) for e in acc.Scalars(tag))
    return {tag: sorted(points) for tag, points in series.items()}


def draw_stage(stage_dir: str | Path, stage: str, png: str | Path, title: str | None = None) -> Path | None:
    """Draw one stage's panels into ``png``; None when the stage logged none of their tags."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = read_scalars(stage_dir)
    panels = [(name, [t for t in tags if t in series]) for name, tags in PANELS[stage]]
    panels = [(name, tags) for name, tags in panels if tags]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.2), squeeze=False)
    for ax, (name, tags) in zip(axes[0], panels):
        for tag in tags:
            steps, values = zip(*series[tag])
            ax.plot(steps, values, marker="o" if len(steps) < 12 else None, markersize=3, label=tag)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("PPO update" if stage == "ppo" else "optimizer step")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle(title or f"{stage} ({stage_dir})", fontsize=10)
    fig.tight_layout()
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return png


def draw_run(train_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """One PNG per stage folder under ``train_dir`` (each holding the ``metrics.json`` that names its stage)."""
    written = []
    for metrics in sorted(Path(train_dir).glob(f"*/{METRICS_FILE}")):
        stage = json.loads(metrics.read_text())["stage"]
        png = draw_stage(metrics.parent, stage, Path(out_dir) / f"{metrics.parent.name}.png",
                         title=f"{metrics.parent.name} ({stage})")
        if png is not None:
            written.append(png)
    return written
