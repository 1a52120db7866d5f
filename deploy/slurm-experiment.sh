#!/usr/bin/env bash
# The paper preset as a Slurm array job: 8 tasks, each one shard of the grid, results on a shared
# file system; the merge runs as a dependent job once every task has succeeded.
#   sbatch deploy/slurm-experiment.sh          (from the repository root on the shared file system)
#SBATCH --job-name=sparseadapter-paper
#SBATCH --array=1-8
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=04:00:00
set -euo pipefail
SHARDS=8
OUT=${RESULTS_DIR:-$PWD/results/paper}
IMAGE=${IMAGE:-sparseadapter-playground.sif}   # built from the repository's Dockerfile (apptainer build … docker-daemon://sparseadapter-playground:latest)
run() { apptainer exec --bind "$OUT:$OUT" "$IMAGE" npm run -s --prefix /app cli -- "$@"; }

if [ "${1:-}" = merge ]; then
  shards=()
  for i in $(seq 1 "$SHARDS"); do shards+=("$OUT/shard-$i"); done
  run experiment merge --out "$OUT/merged" "${shards[@]}"
  exit 0
fi

i=$SLURM_ARRAY_TASK_ID
mkdir -p "$OUT"
# The last task queues the merge after the whole array before it runs its own shard, so the merge is
# queued even if this shard fails (afterok then keeps it from running until every task has succeeded).
if [ "$i" = "$SHARDS" ]; then
  sbatch --dependency="afterok:${SLURM_ARRAY_JOB_ID}" --job-name=sparseadapter-merge --wrap="bash $0 merge"
fi
# A requeued task resumes its shard: results.json is written after every run.
run experiment --preset paper --backend auto --shard "$i/$SHARDS" --out "$OUT/shard-$i"
