#!/bin/bash
# Install every Debian package berth needs to build, test and run its demo.
# Idempotent; run as root on Debian 12. Services are not started by the packages
# (policy-rc.d): the harness starts only what it needs, by pid.
#
#   install-deps.sh          install what is missing (PKGS and HOST_PKGS)
#   install-deps.sh --list   print PKGS, one a line: what a chroot of another
#                            Debian release needs too (chroot.sh create)
set -euo pipefail

PKGS=(
	# build
	autoconf automake libtool pkg-config make gcc libc6-dev
	# Slurm + munge
	slurmctld slurmd slurm-client libslurm-dev munge libmunge-dev
	# libraries
	libjson-c-dev libcurl4-openssl-dev liblua5.4-dev lua5.4 libcap-dev libyaml-dev libarchive-dev
	libsquashfs-dev libsqlite3-dev libmicrohttpd-dev libssl-dev check libisal-dev
	# the Lua of Debian's job_submit/lua (Slurm 22.05 links Lua 5.1): lua/slurm.mk
	liblua5.1-0-dev
	# harness and tests
	squashfs-tools squashfs-tools-ng busybox-static bats jq iproute2 util-linux procps
	docker-registry skopeo umoci python3 python3-pytest curl shellcheck bc
	# registry client tests: bcrypt htpasswd files for docker-registry
	apache2-utils openssl
	# gateway metrics tests: the Prometheus client's parser of the text format
	python3-prometheus-client
	# srun --mpi=pmix: Slurm's mpi/pmix plugin loads libpmix.so (the -dev link)
	libpmix-dev
	# the per-job sshd (enable_sshd=1) runs the host's sshd and ssh in the containers
	openssh-server openssh-client
	# accounting in the harness (sacct): private MariaDB + slurmdbd
	mariadb-server slurmdbd
	# benchmarks (testsuite/bench): peak RSS through /usr/bin/time
	time
)
# Only on the host: builds the chroots of newer Slurm releases (chroot.sh);
# the libFuzzer targets (testsuite/fuzz: the libFuzzer package is named by
# its LLVM version, which differs between suites; a chroot skips them).
# The packages phase (packages.sh): debhelper builds the .debs, lintian checks
# them, rpm's rpmspec parses rpm/berth.spec.
HOST_PKGS=(mmdebstrap clang libfuzzer-14-dev debhelper lintian rpm)

case ${1:-} in
'') ;;
--list)
	printf '%s\n' "${PKGS[@]}"
	exit 0
	;;
*)
	echo "usage: install-deps.sh [--list]" >&2
	exit 2
	;;
esac
PKGS+=("${HOST_PKGS[@]}")

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "install-deps: all ${#PKGS[@]} packages present"; exit 0; }

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages (${missing[*]}); run as root" >&2
	exit 1
fi

# Keep package scripts from starting daemons (munged, slurmd, registry) behind our back.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	created_policy=1
fi
trap '[ $created_policy = 1 ] && rm -f "$policy"' EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# openssh-server is installed for its binaries only: if we brought it, keep a
# system sshd from ever starting (Debian's unit and init script honour this).
if printf '%s\n' "${missing[@]}" | grep -qx openssh-server; then
	touch /etc/ssh/sshd_not_to_be_run
fi
echo "install-deps: installed ${#missing[@]} packages"
