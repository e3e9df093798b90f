/* berth MPI benchmark: ping-pong between rank 0 and the last rank (another
 * node), and allreduce over all ranks.  Rank 0 prints one line of
 * "name=value" figures (microseconds, MB/s), each the best of ROUNDS rounds
 * (the least disturbed by the other work on a shared machine). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 5

/* Seconds per round trip of size bytes between rank 0 and peer. */
static double pingpong(char *buf, int size, int iters, int rank, int peer)
{
	double best = 1e9;

	for (int r = 0; r < ROUNDS; r++) {
		double t0;

		MPI_Barrier(MPI_COMM_WORLD);
		t0 = MPI_Wtime();
		for (int i = 0; i < iters; i++) {
			if (rank == 0) {
				MPI_Send(buf, size, MPI_CHAR, peer, 0, MPI_COMM_WORLD);
				MPI_Recv(buf, size, MPI_CHAR, peer, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			} else if (rank == peer) {
				MPI_Recv(buf, size, MPI_CHAR, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
				MPI_Send(buf, size, MPI_CHAR, 0, 0, MPI_COMM_WORLD);
			}
		}
		t0 = (MPI_Wtime() - t0) / iters;
		if (t0 < best)
			best = t0;
	}
	return best;
}

static double allreduce(double *in, double *out, int count, int iters)
{
	double best = 1e9;

	for (int r = 0; r < ROUNDS; r++) {
		double t0;

		MPI_Barrier(MPI_COMM_WORLD);
		t0 = MPI_Wtime();
		for (int i = 0; i < iters; i++)
			MPI_Allreduce(in, out, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
		t0 = (MPI_Wtime() - t0) / iters;
		MPI_Allreduce(MPI_IN_PLACE, &t0, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
		if (t0 < best)
			best = t0;
	}
	return best;
}

int main(int argc, char **argv)
{
	const int big = 4 << 20, vec = 1 << 17;   /* 4 MiB messages, 1 MiB of doubles */
	int rank, size, peer;
	char *buf = calloc(big, 1);
	double *in = calloc(vec, sizeof(double)), *out = calloc(vec, sizeof(double));
	double lat, bw, ar_small, ar_big;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (!buf || !in || !out || size < 2) {
		fprintf(stderr, "mpi_bench: needs 2 ranks or more, and memory\n");
		MPI_Abort(MPI_COMM_WORLD, 1);
	}
	peer = size - 1;
	pingpong(buf, 8, 100, rank, peer);   /* warm-up: connections */
	lat = pingpong(buf, 8, 500, rank, peer) / 2 * 1e6;
	bw = (double)big / (pingpong(buf, big, 10, rank, peer) / 2) / 1e6;
	ar_small = allreduce(in, out, 1, 500) * 1e6;
	ar_big = allreduce(in, out, vec, 10) * 1e6;
	if (rank == 0)
		printf("latency_us=%.2f bandwidth_MBps=%.0f allreduce8_us=%.2f allreduce1M_us=%.0f\n", lat, bw,
		       ar_small, ar_big);
	MPI_Finalize();
	free(buf);
	free(in);
	free(out);
	return 0;
}
