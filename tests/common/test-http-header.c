/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib.h>

#include "common/ms-http-header.h"
#include "ms-test-utils.h"

/* unit tests: the fields a proxy must not forward, by name and by Connection */

static void
test_hop_by_hop(void)
{
	const char *const hop[] = { "Connection",
				    "content-length",
				    "Keep-Alive",
				    "Proxy-Connection",
				    "proxy-authorization",
				    "Proxy-Authenticate",
				    "te",
				    "Trailer",
				    "Transfer-Encoding",
				    "UPGRADE" };
	const char *const end_to_end[] = { "Proxy-Status", "Content-Type", "Tenant", "Accept", "" };

	for (guint i = 0; i < G_N_ELEMENTS(hop); i++)
		g_assert_true(ms_http_header_is_hop_by_hop(hop[i]));
	for (guint i = 0; i < G_N_ELEMENTS(end_to_end); i++)
		g_assert_false(ms_http_header_is_hop_by_hop(end_to_end[i]));
}

static void
test_connection_options(void)
{
	g_autoptr(GHashTable) options =
		ms_http_connection_options_new(" X-Trace \t,close, Keep-Alive ,,\tX-Secret\t ");

	/* the names without their blanks, looked up whatever their case */
	g_assert_nonnull(options);
	g_assert_cmpuint(g_hash_table_size(options), ==, 2);
	g_assert_true(g_hash_table_contains(options, "x-trace"));
	g_assert_true(g_hash_table_contains(options, "X-SECRET"));
	g_assert_false(g_hash_table_contains(options, "close"));
	/* nothing but the connection's own options: no set at all */
	g_assert_null(ms_http_connection_options_new("close , keep-alive"));
	g_assert_null(ms_http_connection_options_new(NULL));
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/http-header/hop-by-hop", test_hop_by_hop);
	g_test_add_func("/http-header/connection-options", test_connection_options);
	return g_test_run();
}
