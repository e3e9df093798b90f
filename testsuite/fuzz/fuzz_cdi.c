/*
 * fuzz_cdi.c - berth_cdi_spec_parse (node/cdi_spec.c, node/cdi_yaml.c):
 * CDI spec files, YAML and JSON, and the names in them
 * (common/cdi_name.c).
 *
 * Input: the first byte picks the syntax (even: YAML, odd: JSON), the rest
 * is the file.  Checks: a failure leaves the spec zeroed with a one-line
 * message; a success has a valid kind and cdiVersion, at least one device,
 * valid and distinct device names, absolute container paths, hooks with an
 * absolute path and a positive timeout, env entries NAME=value.
 */
#include <stdlib.h>
#include <string.h>

#include "cdi_name.h"
#include "cdi_spec.h"
#include "fuzz_util.h"

static void check_edits(const struct berth_cdi_edits *e)
{
	struct berth_error err = BERTH_ERROR_INIT;

	for (size_t i = 0; i < e->env.count; i++)
		FZ_CHECK(e->env.items[i][0] != '=' && strchr(e->env.items[i], '='), "env entry \"%s\"", e->env.items[i]);
	for (size_t i = 0; i < e->n_nodes; i++) {
		FZ_CHECK(e->nodes[i].path[0] == '/', "device node path \"%s\"", e->nodes[i].path);
		FZ_CHECK(!e->nodes[i].host_path || e->nodes[i].host_path[0] == '/', "device node host path");
		FZ_CHECK(!e->nodes[i].type || strchr("cbup", e->nodes[i].type), "device node type");
		FZ_CHECK(!(e->nodes[i].mode & ~07777u), "device node mode %o", e->nodes[i].mode);
	}
	for (size_t i = 0; i < e->n_mounts; i++)
		FZ_CHECK(e->mounts[i].container_path[0] == '/' && e->mounts[i].host_path[0], "mount paths");
	for (size_t i = 0; i < e->n_hooks; i++) {
		FZ_CHECK(e->hooks[i].path[0] == '/', "hook path \"%s\"", e->hooks[i].path);
		FZ_CHECK(!e->hooks[i].has_timeout || e->hooks[i].timeout > 0, "hook timeout %d", e->hooks[i].timeout);
		FZ_CHECK(e->hooks[i].name != NULL, "hook without a name");
	}
	(void)err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_cdi_spec spec;

	if (size < 1)
		return 0;
	if (berth_cdi_spec_parse((const char *)data + 1, size - 1, !(data[0] & 1), "fuzz", &spec, &err) < 0) {
		fz_check_error(&err, "berth_cdi_spec_parse");
		FZ_CHECK(!spec.kind && !spec.devices && !spec.n_devices && !spec.version, "failed parse left a spec");
		return 0;
	}
	FZ_CHECK(berth_cdi_kind_check(spec.kind, &err) == 0, "kind \"%s\" accepted: %s", spec.kind, err.msg);
	FZ_CHECK(spec.version && spec.n_devices > 0, "no version or no device");
	check_edits(&spec.edits);
	for (size_t i = 0; i < spec.n_devices; i++) {
		FZ_CHECK(berth_cdi_device_name_check(spec.devices[i].name, &err) == 0, "device name accepted: %s",
			 err.msg);
		for (size_t j = 0; j < i; j++)
			FZ_CHECK(strcmp(spec.devices[i].name, spec.devices[j].name) != 0, "device twice");
		check_edits(&spec.devices[i].edits);
	}
	berth_cdi_spec_free(&spec);
	return 0;
}
