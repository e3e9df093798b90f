/*
 * test_container_tree_probe.c - copied setuid-root into the test image of
 * test_container_tree: prints its real and effective uid.  Static, so it
 * runs inside a busybox image without a C library.
 */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	printf("%u %u\n", (unsigned)getuid(), (unsigned)geteuid());
	return 0;
}
