/*
 * berth_error.c - see berth_error.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "berth_error.h"

static void error_vformat(struct berth_error *err, int code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int berth_error_set(struct berth_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	error_vformat(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int berth_error_errno(struct berth_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (!err)
		return -1;
	va_start(ap, fmt);
	error_vformat(err, code, fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	if (len < sizeof(err->msg))
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(code));
	return -1;
}

int berth_error_prefix(struct berth_error *err, const char *fmt, ...)
{
	char joined[BERTH_ERROR_MSG_MAX];
	size_t len;
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(joined, sizeof(joined), fmt, ap);
	va_end(ap);
	len = strlen(joined);
	/* "<context>: <old message>", cut to the buffer */
	if (len + 2 < sizeof(joined)) {
		memcpy(joined + len, ": ", 2);
		len += 2;
		size_t room = sizeof(joined) - len - 1;
		size_t old_len = strnlen(err->msg, sizeof(err->msg));

		if (old_len > room)
			old_len = room;
		memcpy(joined + len, err->msg, old_len);
		joined[len + old_len] = '\0';
	}
	memcpy(err->msg, joined, sizeof(err->msg));
	return -1;
}

void berth_error_clear(struct berth_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

void berth_error_sanitize(char *text)
{
	for (unsigned char *p = (unsigned char *)text; p && *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}

const char *berth_error_quote(char *buf, const char *text, size_t len)
{
	size_t n = len > BERTH_QUOTE_MAX ? BERTH_QUOTE_MAX : len;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		buf[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	memcpy(buf + n, len > BERTH_QUOTE_MAX ? "..." : "", len > BERTH_QUOTE_MAX ? sizeof("...") : 1);
	return buf;
}
