/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib.h>

#include "common/ms-http-header.h"
#include "ms-test-utils.h"

/* unit tests: the fields a proxy must not forward, by name and by Connection */

/* one field name in any case; nothing else, not even what swapping a bit makes of a dash */
static void
test_name_is(void)
{
	const struct {
		const char *name;
		const char *expected;
		gboolean same;
	} cases[] = {
		{ "Content-Length", "Content-Length", TRUE },
		{ "content-length", "Content-Length", TRUE },
		{ "CONTENT-LENGTH", "Content-Length", TRUE },
		{ "cOnTeNt-LeNgTh", "Content-Length", TRUE },
		{ "TE", "TE", TRUE },
		{ "Content-Lengt", "Content-Length", FALSE },
		{ "Content-Lengths", "Content-Length", FALSE },
		{ "", "TE", FALSE },
		{ "TE", "", FALSE },
		/* CR is a dash with its 0x20 bit swapped, as '@' is '`' */
		{ "Content\rLength", "Content-Length", FALSE },
		{ "X\rY", "X-Y", FALSE },
		{ "Content_Length", "Content-Length", FALSE },
		{ "Content-Lengt\xc8", "Content-Length", FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("%s", cases[i].name);
		g_assert_cmpint(ms_http_header_name_is(cases[i].name, cases[i].expected),
				==,
				cases[i].same);
	}
}

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
	g_test_add_func("/http-header/name-is", test_name_is);
	g_test_add_func("/http-header/hop-by-hop", test_hop_by_hop);
	g_test_add_func("/http-header/connection-options", test_connection_options);
	return g_test_run();
}
