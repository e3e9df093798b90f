/* test_gw_http.h - the live-server part of test_gw_http. */
#ifndef BERTH_TEST_GW_HTTP_H_
#define BERTH_TEST_GW_HTTP_H_

#include <check.h>

TCase *gw_http_live_tcase(void);

#endif
