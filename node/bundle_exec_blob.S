/*
 * bundle_exec_blob.S - the static berth-bundle-exec program (bundle_exec.c)
 * as bytes of the node runtime, written into every sshd bundle
 * (sshd_bundle.c).  Embedded rather than installed: the plugins never look
 * up a path, and the helper always matches the runtime that writes it.
 */
	.section .rodata
	.balign 16
	.globl berth_bundle_exec_start
	.hidden berth_bundle_exec_start
	.type berth_bundle_exec_start, @object
berth_bundle_exec_start:
	.incbin BERTH_BUNDLE_EXEC_PATH
	.globl berth_bundle_exec_end
	.hidden berth_bundle_exec_end
berth_bundle_exec_end:
	.byte 0
	.size berth_bundle_exec_start, berth_bundle_exec_end - berth_bundle_exec_start
	.section .note.GNU-stack,"",@progbits
