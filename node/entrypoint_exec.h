/*
 * entrypoint_exec.h - srun --entrypoint inside the container (see
 * entrypoint_exec.c); part of the static berth-bundle-exec.
 */
#ifndef BERTH_ENTRYPOINT_EXEC_H_
#define BERTH_ENTRYPOINT_EXEC_H_

/* Where every container has the program, and the name that selects it. */
#define BERTH_ENTRYPOINT_CTR_PATH "/.berth/entrypoint"
#define BERTH_ENTRYPOINT_NAME "entrypoint"

int berth_entrypoint_main(int argc, char **argv);

#endif
