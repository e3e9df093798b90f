/*
 * preflight_report.c - the lines of `berth check` (preflight.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "preflight.h"

void check_line(struct check_report *r, enum check_status status, const char *subject,
		const char *fmt, ...)
{
	static const char *const names[] = { "ok  ", "warn", "FAIL" };
	va_list ap;

	if (status == CHECK_OK)
		r->n_ok++;
	else if (status == CHECK_WARN)
		r->n_warn++;
	else
		r->n_fail++;
	fprintf(r->out, "%s %s: ", names[status], subject);
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->out);
}
