/* berth test: every rank says where it runs and which MPI it is */
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char host[256], lib[MPI_MAX_LIBRARY_VERSION_STRING], *nl;
	int rank, size, len, sum = 0, one = 1;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	MPI_Get_library_version(lib, &len);
	if ((nl = strchr(lib, '\n')))
		*nl = '\0';
	gethostname(host, sizeof(host));
	MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
	printf("rank %d of %d on %s sum %d lib %s\n", rank, size, host, sum, lib);
	MPI_Finalize();
	return 0;
}
