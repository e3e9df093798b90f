#!/bin/bash
# `make demo`: start the harness (munge, slurmctld, 3 slurmd, registry with
# test images), submit a real `sbatch --image=...` job as the ordinary user
# alice, and show what happened.  The cluster keeps running afterwards so you
# can try more; `make demo-stop` stops it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export BERTH_LAB=${BERTH_LAB:-/var/tmp/berth-lab}
: "${BERTH_BUILDDIR:?set BERTH_BUILDDIR (make demo does)}"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
as_alice() { "$here/cluster.sh" run-as alice "$@"; }

say "starting munge, MariaDB + slurmdbd, slurmctld, 3 slurmd (n1 n2 n3), the local OCI registry and berth-gatewayd"
"$here/cluster.sh" start
eval "$("$here/cluster.sh" env)"
as_alice sinfo -N -o '%N %T %c %m'

image="docker:${BERTH_REGISTRY}/busybox:latest"
berth=$BERTH_LAB/build/berth   # the lab's copy (cluster.sh stage_build)
say "as alice: berth pull $image (registry -> verified layers -> one squashfs, by the gateway)"
as_alice "$berth" pull "$image"
as_alice "$berth" images

say "as alice: sbatch -N3 --image=$image --wrap 'srun -l hostname'"
job=$(as_alice sbatch --parsable -N3 --image="$image" -o 'berth-demo-%j.out' --wrap 'srun -l hostname')
echo "submitted job $job"
for _ in $(seq 600); do
	state=$(as_alice scontrol show job -o "$job" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
	case "$state" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL) break ;; esac
	sleep 0.1
done
echo "job $job: $state"
say "job output (/home/alice/berth-demo-$job.out)"
cat "/home/alice/berth-demo-$job.out"
say "the job was pinned to the digest at submission (AdminComment, also in sacct)"
as_alice scontrol show job "$job" | grep -o 'AdminComment=[^ ]*'
for _ in $(seq 50); do
	acct=$(as_alice sacct -n -X -j "$job" -o JobID,State,AdminComment%120 2>/dev/null || true)
	[ -n "$acct" ] && break
	sleep 0.2
done
echo "sacct: $acct"

say "as alice: an exclusive job ssh-es between its nodes, inside the image (per-job sshd)"
ssh_job=$(as_alice sbatch --parsable --exclusive -N3 --image="$image" -o 'berth-demo-ssh-%j.out' \
	--wrap "srun -N1 -w n1 sh -c 'ssh n2 hostname; ssh n3 cat /etc/os-release; cat /var/hostsfile'")
for _ in $(seq 600); do
	ssh_state=$(as_alice scontrol show job -o "$ssh_job" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
	case "$ssh_state" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL) break ;; esac
	sleep 0.1
done
echo "job $ssh_job: $ssh_state"
cat "/home/alice/berth-demo-ssh-$ssh_job.out"

say "a bad image is refused at once, before anything is submitted"
as_alice sbatch --image='Ubuntu:22.04!' --wrap true || true
say "an image the gateway does not have is refused by the controller, with what to do"
as_alice sbatch --image="docker:${BERTH_REGISTRY}/nosuch:1.0" --wrap true || true

say "the cluster is still running: eval \"\$($here/cluster.sh env)\" to use it; make demo-stop stops it"
[ "$state" = COMPLETED ] && [ "$ssh_state" = COMPLETED ]
