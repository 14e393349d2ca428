/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>

#include "gateway/adapters/upstream/ms-upstream-resolve.h"
#include "ms-test-resolver.h"

/*
 * unit tests: how an upstream's host name is looked up, with a resolver of the
 * test's own as the default GResolver, whose answers the test scripts: the
 * lookup never blocks, every address is used, a change is taken, a failure
 * keeps the last good addresses, and nothing is called after the free.
 */

#define NAME "hello.example"

static void
set_answer(MsTestResolver *resolver, const char *const *addresses)
{
	ms_test_resolver_set(resolver, NAME, addresses);
}

/* ---- the tests ------------------------------------------------------------ */

typedef struct {
	MsTestResolver *resolver;
	MsUpstreamResolve *resolve;
	guint calls;
	gboolean first;
	gboolean changed;
} Fixture;

static void
on_resolved(gpointer user_data, gboolean first, gboolean changed)
{
	Fixture *f = user_data;

	f->calls++;
	f->first = first;
	f->changed = changed;
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	f->resolver = ms_test_resolver_new();
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	g_clear_pointer(&f->resolve, ms_upstream_resolve_free);
	ms_test_resolver_release(f->resolver);
}

static void
start(Fixture *f)
{
	f->resolve =
		ms_upstream_resolve_new(NAME, 8080, 1, g_main_context_default(), on_resolved, f);
}

/* runs the main loop until the resolve called back @calls times in all */
static void
wait_calls(Fixture *f, guint calls)
{
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	while (f->calls < calls) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, TRUE);
	}
}

static char *
next_address(Fixture *f)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketAddress) address = ms_upstream_resolve_next_address(f->resolve, &error);
	g_autofree char *host = NULL;

	g_assert_no_error(error);
	host = g_inet_address_to_string(
		g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address)));
	g_assert_cmpuint(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(address)), ==, 8080);
	return g_steal_pointer(&host);
}

static void
assert_next(Fixture *f, const char *expected)
{
	g_autofree char *host = next_address(f);

	g_assert_cmpstr(host, ==, expected);
}

/* the lookup answers later, from the main loop; then every address takes its turn */
static void
test_every_address(Fixture *f, gconstpointer data)
{
	set_answer(f->resolver, (const char *const[]){ "10.0.0.1", "10.0.0.2", "fd00::3", NULL });
	start(f);
	g_assert_false(ms_upstream_resolve_is_answered(f->resolve));
	g_assert_cmpuint(f->calls, ==, 0);
	wait_calls(f, 1);
	g_assert_true(f->first);
	g_assert_false(f->changed);
	g_assert_true(ms_upstream_resolve_is_answered(f->resolve));
	assert_next(f, "10.0.0.1");
	assert_next(f, "10.0.0.2");
	assert_next(f, "fd00::3");
	assert_next(f, "10.0.0.1");
}

/*
 * Looked up again each interval with no request asking: a change is told,
 * the same addresses in another order are no change, and a failure keeps the
 * last good ones.
 */
static void
test_followed_and_kept(Fixture *f, gconstpointer data)
{
	set_answer(f->resolver, (const char *const[]){ "10.0.0.1", "10.0.0.2", NULL });
	start(f);
	wait_calls(f, 1);
	set_answer(f->resolver, (const char *const[]){ "10.0.0.2", "10.0.0.1", NULL });
	wait_calls(f, 2);
	g_assert_false(f->first);
	g_assert_false(f->changed);
	set_answer(f->resolver, (const char *const[]){ "10.0.0.9", NULL });
	wait_calls(f, 3);
	g_assert_true(f->changed);
	assert_next(f, "10.0.0.9");
	set_answer(f->resolver, NULL);
	wait_calls(f, 4);
	g_assert_false(f->changed);
	assert_next(f, "10.0.0.9");
	assert_next(f, "10.0.0.9");
	g_assert_cmpuint(ms_test_resolver_get_lookups(f->resolver, NAME), ==, 4);
}

/* a name never resolved: no address, the lookup's error, and another lookup soon */
static void
test_never_resolved(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketAddress) address = NULL;

	start(f);
	wait_calls(f, 1);
	g_assert_true(f->first);
	address = ms_upstream_resolve_next_address(f->resolve, &error);
	g_assert_null(address);
	g_assert_error(error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND);
	g_assert_cmpstr(error->message, ==, "no DNS for " NAME);
	set_answer(f->resolver, (const char *const[]){ "10.0.0.1", NULL });
	wait_calls(f, 2);
	g_assert_false(f->first);
	assert_next(f, "10.0.0.1");
}

/* freed with its lookup under way: the answer, when it comes, calls nothing */
static void
test_free_while_looking_up(Fixture *f, gconstpointer data)
{
	set_answer(f->resolver, (const char *const[]){ "10.0.0.1", NULL });
	start(f);
	g_clear_pointer(&f->resolve, ms_upstream_resolve_free);
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpuint(ms_test_resolver_get_lookups(f->resolver, NAME), ==, 1);
	g_assert_cmpuint(f->calls, ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
#define ADD(path, func) \
	g_test_add("/gateway/resolve/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
	ADD("every-address", test_every_address);
	ADD("followed-and-kept", test_followed_and_kept);
	ADD("never-resolved", test_never_resolved);
	ADD("free-while-looking-up", test_free_while_looking_up);
#undef ADD
	return g_test_run();
}
