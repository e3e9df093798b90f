/*
 * test_gateway_client.c - the gateway client's reading of replies (untrusted:
 * strict types, bounds, sanitised text), the login payload and URL checks.
 * No server needed; test_gateway_client_net covers the network side.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway_client_int.h"
#include "image_resolve.h"
#include "unit.h"

#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char full_record[] =
	"{\"ref\":\"docker:127.0.0.1:15000/busybox:latest\",\"digest\":\"" DIGEST "\","
	"\"status\":\"PULLING\",\"message\":\"\",\"private\":true,\"size\":0,"
	"\"download_size\":765432,\"created\":1763900000,\"last_pull\":1763900001,"
	"\"last_lookup\":1763900100,\"progress\":{\"phase\":\"download\",\"layers_total\":3,"
	"\"layers_done\":1,\"bytes_total\":765432,\"bytes_done\":100000},\"future_field\":[1]}";

static int parse(const char *text, struct berth_gateway_image *img, struct berth_error *err)
{
	return berth_gw_parse_record(text, strlen(text), img, err);
}

START_TEST(record_full)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;

	ck_assert_msg(parse(full_record, &img, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(img.ref, "docker:127.0.0.1:15000/busybox:latest");
	ck_assert_str_eq(img.digest, DIGEST);
	ck_assert_str_eq(img.status, "PULLING");
	ck_assert(img.is_private);
	ck_assert_uint_eq(img.download_size, 765432);
	ck_assert_int_eq(img.created, 1763900000);
	ck_assert_int_eq(img.last_pull, 1763900001);
	ck_assert_int_eq(img.last_lookup, 1763900100);
	ck_assert_str_eq(img.phase, "download");
	ck_assert_uint_eq(img.layers_total, 3);
	ck_assert_uint_eq(img.layers_done, 1);
	ck_assert_uint_eq(img.bytes_total, 765432);
	ck_assert_uint_eq(img.bytes_done, 100000);
}
END_TEST

/* A READY image whose tag is being re-pulled: old digest, pending new one. */
START_TEST(record_pending_digest)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;

	ck_assert_msg(parse("{\"ref\":\"docker:a/b:c\",\"digest\":\"" DIGEST "\",\"status\":\"READY\","
			    "\"pending_digest\":\"sha256:" "fedcba9876543210fedcba9876543210"
			    "fedcba9876543210fedcba9876543210\",\"progress\":{\"phase\":\"download\","
			    "\"layers_total\":2,\"layers_done\":1}}", &img, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(img.status, "READY");
	ck_assert_str_eq(img.digest, DIGEST);
	ck_assert_str_eq(img.pending_digest, "sha256:fedcba9876543210fedcba9876543210"
			 "fedcba9876543210fedcba9876543210");
	ck_assert_str_eq(img.phase, "download");
	ck_assert_uint_eq(img.layers_done, 1);
	/* absent: empty */
	ck_assert_msg(parse(full_record, &img, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(img.pending_digest, "");
}
END_TEST

START_TEST(record_minimal)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;

	ck_assert_msg(parse("{\"ref\":\"docker:a/b:c\",\"digest\":\"\",\"status\":\"INIT\","
			    "\"progress\":null}\r\n", &img, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(img.digest, "");
	ck_assert(!img.is_private);
	ck_assert_uint_eq(img.size, 0);
	ck_assert_str_eq(img.phase, "");
	/* the largest uint64 is a valid size */
	ck_assert_msg(parse("{\"ref\":\"r\",\"digest\":\"" DIGEST "\",\"status\":\"READY\","
			    "\"size\":18446744073709551615}", &img, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(img.size, UINT64_MAX);
}
END_TEST

/* Replies that are not what the API says: every one is EIO with a message
 * naming the problem. */
static const struct { const char *text, *msg; } bad_records[] = {
	{ "", "bad reply: empty body" },
	{ "[]", "bad reply: image record is not an object" },
	{ "{\"digest\":\"\",\"status\":\"INIT\"}", "bad reply: \"ref\" is missing" },
	{ "{\"ref\":\"r\",\"status\":\"INIT\"}", "bad reply: \"digest\" is missing" },
	{ "{\"ref\":\"r\",\"digest\":\"\"}", "bad reply: \"status\" is missing" },
	{ "{\"ref\":1,\"digest\":\"\",\"status\":\"INIT\"}", "bad reply: \"ref\" is not a string" },
	{ "{\"ref\":\"\",\"digest\":\"\",\"status\":\"INIT\"}", "bad reply: empty \"ref\"" },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"DONE\"}", "bad reply: unknown status \"DONE\"" },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"READYREADYREADYREADY\"}",
	  "bad reply: \"status\" is longer than 15 bytes" },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"READY\"}",
	  "bad reply: READY image without a digest" },
	{ "{\"ref\":\"r\",\"digest\":\"sha256:abc\",\"status\":\"INIT\"}",
	  "bad reply: \"digest\" is not a sha256 digest" },
	{ "{\"ref\":\"r\",\"digest\":\"" DIGEST "0\",\"status\":\"INIT\"}",
	  "bad reply: \"digest\" is longer than 71 bytes" },
	{ "{\"ref\":\"r\\nX\",\"digest\":\"\",\"status\":\"INIT\"}",
	  "bad reply: \"ref\" holds a non-printable character" },
	{ "{\"ref\":\"r\\u0000x\",\"digest\":\"\",\"status\":\"INIT\"}",
	  "bad reply: \"ref\" holds a NUL byte" },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\",\"private\":\"yes\"}",
	  "bad reply: \"private\" is not a boolean" },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\",\"size\":\"12\"}",
	  "bad reply: \"size\" is not an integer" },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\",\"size\":1.5}",
	  "bad reply: \"size\" is not an integer" },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\",\"size\":-1}",
	  "bad reply: \"size\" is out of range" },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\",\"created\":18446744073709551615}",
	  "bad reply: \"created\" is out of range" },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\",\"pending_digest\":\"sha256:12\"}",
	  "bad reply: \"pending_digest\" is not a sha256 digest" },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\",\"pending_digest\":7}",
	  "bad reply: \"pending_digest\" is not a string" },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\",\"progress\":[]}",
	  "bad reply: \"progress\" is not an object" },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\",\"progress\":{\"layers_total\":4294967296}}",
	  "bad reply: \"layers_total\" is out of range" },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\",\"progress\":{\"phase\":\"Down load\"}}",
	  "bad reply: \"phase\" is not a word" },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\",\"progress\":{\"phase\":\"downloadingthelayers\"}}",
	  "bad reply: \"phase\" is longer than 15 bytes" },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\"} x", NULL },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\"}{}", NULL },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\"", "bad reply: JSON cut short" },
	{ "{'ref':'r'}", NULL },
	{ "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\",}", NULL },
	{ "{\"ref\":\"\xff\xfe\",\"digest\":\"\",\"status\":\"INIT\"}", NULL },
	{ "{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}", NULL },
};

START_TEST(record_bad)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;
	const char *text = bad_records[_i].text;

	ck_assert_int_eq(parse(text, &img, &err), -1);
	ck_assert_int_eq(err.code, EIO);
	if (bad_records[_i].msg)
		ck_assert_str_eq(err.msg, bad_records[_i].msg);
	else
		ck_assert_msg(!strncmp(err.msg, "bad reply: ", 11), "%s", err.msg);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
}
END_TEST

START_TEST(record_nul_in_body)
{
	static const char text[] = "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"INIT\"}\0{}";
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;

	ck_assert_int_eq(berth_gw_parse_record(text, sizeof(text) - 1, &img, &err), -1);
	ck_assert_str_eq(err.msg, "bad reply: NUL byte in the body");
}
END_TEST

START_TEST(record_bounds)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;
	size_t fit = sizeof(img.ref) - 1, msg_fit = sizeof(img.message) - 1;
	char *text = malloc(4 * fit + 256), *long_ref = malloc(fit + 2), *msg = malloc(msg_fit + 2);

	memset(long_ref, 'a', fit + 1);
	long_ref[fit] = '\0';
	sprintf(text, "{\"ref\":\"%s\",\"digest\":\"\",\"status\":\"INIT\"}", long_ref);
	ck_assert_msg(parse(text, &img, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(strlen(img.ref), fit);
	long_ref[fit] = 'a';
	long_ref[fit + 1] = '\0';
	sprintf(text, "{\"ref\":\"%s\",\"digest\":\"\",\"status\":\"INIT\"}", long_ref);
	ck_assert_int_eq(parse(text, &img, &err), -1);
	snprintf(long_ref, fit, "bad reply: \"ref\" is longer than %zu bytes", fit);
	ck_assert_str_eq(err.msg, long_ref);
	/* message: exactly the buffer fits, one more does not */
	memset(msg, 'm', msg_fit + 1);
	msg[msg_fit + 1] = '\0';
	sprintf(text, "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"FAILURE\",\"message\":\"%s\"}", msg);
	ck_assert_int_eq(parse(text, &img, &err), -1);
	ck_assert_str_eq(err.msg, "bad reply: \"message\" is longer than 511 bytes");
	free(text);
	free(long_ref);
	free(msg);
}
END_TEST

START_TEST(record_message_sanitised)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;

	ck_assert_msg(parse("{\"ref\":\"r\",\"digest\":\"\",\"status\":\"FAILURE\","
			    "\"message\":\"line1\\nline2\\u001b[31m\"}", &img, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(img.message, "line1?line2?[31m");
}
END_TEST

START_TEST(list_parse)
{
	static const char two[] = "{\"images\":[{\"ref\":\"a\",\"digest\":\"\",\"status\":\"INIT\"},"
				  "{\"ref\":\"b\",\"digest\":\"" DIGEST "\",\"status\":\"READY\",\"size\":5}]}";
	static const char bad[] = "{\"images\":[{\"ref\":\"a\",\"digest\":\"\",\"status\":\"INIT\"},"
				  "{\"ref\":\"b\",\"digest\":\"\",\"status\":\"READY\"}]}";
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image *list;
	size_t n;

	ck_assert_msg(berth_gw_parse_list(two, strlen(two), &list, &n, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0].ref, "a");
	ck_assert_str_eq(list[1].status, "READY");
	ck_assert_uint_eq(list[1].size, 5);
	free(list);
	ck_assert_int_eq(berth_gw_parse_list("{\"images\":[]}", 13, &list, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(list);
	ck_assert_int_eq(berth_gw_parse_list(bad, strlen(bad), &list, &n, &err), -1);
	ck_assert_str_eq(err.msg, "image 2: bad reply: READY image without a digest");
	ck_assert_ptr_null(list);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(berth_gw_parse_list("{\"images\":{}}", 13, &list, &n, &err), -1);
	ck_assert_str_eq(err.msg, "bad reply: no \"images\" array");
	ck_assert_int_eq(berth_gw_parse_list("[]", 2, &list, &n, &err), -1);
	ck_assert_str_eq(err.msg, "bad reply: no \"images\" array");
}
END_TEST

START_TEST(expired_parse)
{
	static const char ok[] = "{\"expired\":[\"docker:a/b:c\",\"docker:d/e:f\"]}";
	static const char bad[] = "{\"expired\":[\"docker:a/b:c\",7]}";
	static const char ctl[] = "{\"expired\":[\"a\\tb\"]}";
	struct berth_error err = BERTH_ERROR_INIT;
	char **list;
	size_t n;

	ck_assert_msg(berth_gw_parse_expired(ok, strlen(ok), &list, &n, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[1], "docker:d/e:f");
	berth_gateway_strings_free(list, n);
	ck_assert_int_eq(berth_gw_parse_expired(bad, strlen(bad), &list, &n, &err), -1);
	ck_assert_str_eq(err.msg, "bad reply: \"expired\" is not a string");
	ck_assert_ptr_null(list);
	ck_assert_int_eq(berth_gw_parse_expired(ctl, strlen(ctl), &list, &n, &err), -1);
	ck_assert_str_eq(err.msg, "bad reply: \"expired\" holds a non-printable character");
}
END_TEST

START_TEST(error_text)
{
	static const char plain[] = "{\"error\":\"bad reference: tag \\\"x y\\\"\"}";
	static const char ctl[] = "{\"error\":\"two\\nlines\\r\"}";
	char buf[32];

	berth_gw_error_text(plain, strlen(plain), buf, sizeof(buf));
	ck_assert_str_eq(buf, "bad reference: tag \"x y\"");
	berth_gw_error_text(ctl, strlen(ctl), buf, sizeof(buf));
	ck_assert_str_eq(buf, "two?lines?");
	berth_gw_error_text("<html>", 6, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	berth_gw_error_text("{\"error\":5}", 11, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	/* cut to the buffer */
	berth_gw_error_text("{\"error\":\"0123456789012345678901234567890123456789\"}", 52, buf, 8);
	ck_assert_str_eq(buf, "0123456");
}
END_TEST

START_TEST(login_payload)
{
	struct berth_gateway_login login = { "al\"ice", "p\\w \xc3\xa9" };
	struct berth_error err = BERTH_ERROR_INIT;
	size_t len;
	char *text = berth_gw_login_payload(&login, &len, &err);

	ck_assert_msg(text != NULL, "%s", err.msg);
	ck_assert_str_eq(text, "{\"username\":\"al\\\"ice\",\"password\":\"p\\\\w \xc3\xa9\"}");
	ck_assert_uint_eq(len, strlen(text));
	free(text);
	login.password = "new\nline";
	ck_assert_ptr_null(berth_gw_login_payload(&login, &len, &err));
	ck_assert_int_eq(err.code, EINVAL);
	ck_assert_str_eq(err.msg, "registry username or password holds a control character");
	login.username = "";
	ck_assert_ptr_null(berth_gw_login_payload(&login, &len, &err));
	ck_assert_str_eq(err.msg, "registry login needs a username and a password");
}
END_TEST

START_TEST(status_words)
{
	ck_assert(berth_gateway_status_in_progress("INIT"));
	ck_assert(berth_gateway_status_in_progress("PENDING"));
	ck_assert(berth_gateway_status_in_progress("PULLING"));
	ck_assert(berth_gateway_status_in_progress("CONVERTING"));
	ck_assert(!berth_gateway_status_in_progress("READY"));
	ck_assert(!berth_gateway_status_in_progress("FAILURE"));
	ck_assert(!berth_gateway_status_in_progress("EXPIRED"));
	ck_assert(!berth_gateway_status_in_progress(NULL));
}
END_TEST

/* URL mistakes are caught before any credential or connection. */
START_TEST(bad_urls)
{
	static const char *const urls[] = { "", "10.0.0.1:7050", "ftp://host", "http://a b",
					    "http://host\n", "file:///etc/passwd" };
	struct berth_gateway_opts opts = { .timeout_ms = 100, .munge_socket = "/nonexistent" };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;
	size_t i;

	for (i = 0; i < ARRAY_LEN(urls); i++) {
		opts.url = urls[i];
		ck_assert_int_eq(berth_gateway_lookup(&opts, "docker:a", &img, &err), -1);
		ck_assert_int_eq(err.code, EINVAL);
	}
	ck_assert_str_eq(err.msg, "bad image gateway URL \"file:///etc/passwd\" (use http://HOST:PORT)");
	opts.url = "http://a\nb";
	berth_gateway_lookup(&opts, "docker:a", &img, &err);
	ck_assert_str_eq(err.msg, "bad image gateway URL \"http://a?b\" (use http://HOST:PORT)");
	opts.url = NULL;
	berth_gateway_lookup(&opts, "docker:a", &img, &err);
	ck_assert_str_eq(err.msg, "no image gateway URL (gateway_url in berth.conf)");
}
END_TEST

START_TEST(shown_text)
{
	char buf[8 + 4];

	ck_assert_str_eq(berth_gw_shown(buf, 8, "abc"), "abc");
	ck_assert_str_eq(berth_gw_shown(buf, 8, "a\tb\xc3"), "a?b?");
	ck_assert_str_eq(berth_gw_shown(buf, 8, "0123456789"), "01234567...");
	ck_assert_str_eq(berth_gw_shown(buf, 8, "01234567"), "01234567");
}
END_TEST

static Suite *gateway_client_suite(void)
{
	Suite *s = suite_create("gateway_client");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, record_full);
	tcase_add_test(tc, record_minimal);
	tcase_add_test(tc, record_pending_digest);
	tcase_add_loop_test(tc, record_bad, 0, ARRAY_LEN(bad_records));
	tcase_add_test(tc, record_nul_in_body);
	tcase_add_test(tc, record_bounds);
	tcase_add_test(tc, record_message_sanitised);
	tcase_add_test(tc, list_parse);
	tcase_add_test(tc, expired_parse);
	tcase_add_test(tc, error_text);
	tcase_add_test(tc, login_payload);
	tcase_add_test(tc, status_words);
	tcase_add_test(tc, bad_urls);
	tcase_add_test(tc, shown_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(gateway_client_suite());
}
