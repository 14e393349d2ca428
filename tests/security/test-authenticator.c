/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "common/ms-log.h"
#include "gateway/core/policy/ms-auth-memo.h"
#include "gateway/core/policy/ms-authenticator.h"
#include "ms-security-test.h"
#include "ms-test-utils.h"

#define SEC G_USEC_PER_SEC
#define T0  (1000 * SEC)

typedef struct {
	MsCredentials *credentials;
	MsAuthenticator *auth;
	GPtrArray *logged; /* MESSAGE_IDs seen */
	GPtrArray *messages;
	GMainLoop *loop;
	MsAuthResult *async_result;
} Fixture;

static void
capture(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	Fixture *fixture = user_data;
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE_ID") == 0)
			g_ptr_array_add(fixture->logged, g_strdup(fields[i].value));
		if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			g_ptr_array_add(fixture->messages, g_strdup(fields[i].value));
	}
}

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	g_autofree char *ada = ms_security_test_hash("ada-pw");
	g_autofree char *root = ms_security_test_hash("root-pw");
	g_autofree char *key = ms_security_test_sha256("the-key");
	g_autofree char *users = g_strdup_printf("ada:user:%s\nroot:admin:%s\n", ada, root);
	g_autofree char *keys = g_strdup_printf("ci:admin:%s\n", key);

	fixture->credentials = ms_credentials_new();
	g_assert_true(
		ms_credentials_load_users(fixture->credentials, users, strlen(users), "u", NULL));
	g_assert_true(
		ms_credentials_load_api_keys(fixture->credentials, keys, strlen(keys), "k", NULL));
	fixture->auth = ms_authenticator_new(fixture->credentials);
	fixture->logged = g_ptr_array_new_with_free_func(g_free);
	fixture->messages = g_ptr_array_new_with_free_func(g_free);
	fixture->loop = g_main_loop_new(NULL, FALSE);
	ms_log_set_capture(capture, fixture);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	ms_log_set_capture(NULL, NULL);
	g_object_unref(fixture->auth);
	g_object_unref(fixture->credentials);
	g_ptr_array_unref(fixture->logged);
	g_ptr_array_unref(fixture->messages);
	g_main_loop_unref(fixture->loop);
	ms_auth_result_free(fixture->async_result);
}

static MsAuthResult *
authenticate(Fixture *fixture, const char *value, const char *address, gint64 now)
{
	g_autoptr(MsAuthHeader) header = ms_auth_header_parse(value);
	return ms_authenticator_authenticate(fixture->auth, header, address, now);
}

static char *
basic(const char *user_pass)
{
	g_autofree char *b64 = g_base64_encode((const guchar *)user_pass, strlen(user_pass));
	return g_strconcat("Basic ", b64, NULL);
}

static void
test_outcomes(Fixture *fixture, gconstpointer data)
{
	g_autofree char *ada = basic("ada:ada-pw");
	g_autofree char *root = basic("root:root-pw");
	g_autofree char *wrong = basic("ada:root-pw");
	g_autofree char *unknown = basic("eve:ada-pw");
	g_autoptr(MsAuthResult) r1 = authenticate(fixture, ada, "10.0.0.1", T0);
	g_autoptr(MsAuthResult) r2 = authenticate(fixture, root, "10.0.0.1", T0);
	g_autoptr(MsAuthResult) r3 = authenticate(fixture, "Bearer the-key", "10.0.0.1", T0);
	g_autoptr(MsAuthResult) r4 = authenticate(fixture, NULL, "10.0.0.1", T0);
	g_autoptr(MsAuthResult) r5 = authenticate(fixture, "Basic !!!!", "10.0.0.1", T0);
	g_autoptr(MsAuthResult) r6 = authenticate(fixture, wrong, "10.0.0.1", T0);
	g_autoptr(MsAuthResult) r7 = authenticate(fixture, unknown, "10.0.0.1", T0);
	g_autoptr(MsAuthResult) r8 = authenticate(fixture, "Bearer not-the-key", "10.0.0.1", T0);

	g_assert_cmpint(r1->status, ==, MS_AUTH_STATUS_OK);
	g_assert_cmpstr(r1->user, ==, "ada");
	g_assert_cmpint(r1->role, ==, MS_ROLE_USER);
	g_assert_true(ms_auth_result_allows(r1, MS_ROLE_USER));
	g_assert_false(ms_auth_result_allows(r1, MS_ROLE_ADMIN));
	g_assert_cmpint(r2->status, ==, MS_AUTH_STATUS_OK);
	g_assert_true(ms_auth_result_allows(r2, MS_ROLE_ADMIN));
	g_assert_true(ms_auth_result_allows(r2, MS_ROLE_USER));
	g_assert_cmpint(r3->status, ==, MS_AUTH_STATUS_OK);
	g_assert_cmpstr(r3->user, ==, "ci");
	g_assert_cmpint(r3->role, ==, MS_ROLE_ADMIN);
	g_assert_cmpint(r4->status, ==, MS_AUTH_STATUS_MISSING);
	g_assert_false(ms_auth_result_allows(r4, MS_ROLE_NONE));
	g_assert_cmpint(r5->status, ==, MS_AUTH_STATUS_MALFORMED);
	g_assert_cmpint(r6->status, ==, MS_AUTH_STATUS_WRONG);
	g_assert_null(r6->user);
	g_assert_cmpint(r7->status, ==, MS_AUTH_STATUS_WRONG);
	g_assert_cmpint(r8->status, ==, MS_AUTH_STATUS_WRONG);
}

static void
test_remembered(Fixture *fixture, gconstpointer data)
{
	g_autofree char *ada = basic("ada:ada-pw");
	g_autofree char *wrong = basic("ada:ada-pw2");
	g_autoptr(MsAuthHeader) header = ms_auth_header_parse(ada);
	g_autoptr(MsAuthHeader) wrong_header = ms_auth_header_parse(wrong);
	g_autoptr(MsAuthResult) before = ms_authenticator_try_fast(fixture->auth, header, "a", T0);
	g_autoptr(MsAuthResult) checked = NULL;
	g_autoptr(MsAuthResult) fast = NULL;
	g_autoptr(MsAuthResult) again = NULL;
	g_autoptr(MsAuthResult) fast_wrong = NULL;
	g_autoptr(MsAuthResult) checked_wrong = NULL;
	g_autoptr(MsAuthResult) expired = NULL;
	g_autoptr(MsAuthResult) rechecked = NULL;
	g_autoptr(MsAuthResult) after_reload = NULL;

	/* the first request needs yescrypt, the next ones do not */
	g_assert_null(before);
	g_assert_cmpuint(ms_authenticator_get_n_password_checks(fixture->auth), ==, 0);
	checked = ms_authenticator_authenticate(fixture->auth, header, "a", T0);
	g_assert_cmpint(checked->status, ==, MS_AUTH_STATUS_OK);
	g_assert_cmpuint(ms_authenticator_get_n_password_checks(fixture->auth), ==, 1);
	fast = ms_authenticator_try_fast(fixture->auth, header, "a", T0 + SEC);
	g_assert_nonnull(fast);
	g_assert_cmpint(fast->status, ==, MS_AUTH_STATUS_OK);
	g_assert_cmpstr(fast->user, ==, "ada");
	g_assert_cmpint(fast->role, ==, MS_ROLE_USER);
	/* the full check answers from memory too: still the one yescrypt run */
	again = ms_authenticator_authenticate(fixture->auth, header, "a", T0 + 2 * SEC);
	g_assert_cmpint(again->status, ==, MS_AUTH_STATUS_OK);
	g_assert_cmpstr(again->user, ==, "ada");
	g_assert_cmpuint(ms_authenticator_get_n_password_checks(fixture->auth), ==, 1);

	/* another password for the same user is not remembered as good */
	fast_wrong = ms_authenticator_try_fast(fixture->auth, wrong_header, "a", T0 + SEC);
	g_assert_null(fast_wrong);
	checked_wrong = ms_authenticator_authenticate(fixture->auth, wrong_header, "a", T0 + SEC);
	g_assert_cmpint(checked_wrong->status, ==, MS_AUTH_STATUS_WRONG);
	g_assert_cmpuint(ms_authenticator_get_n_password_checks(fixture->auth), ==, 2);

	/* remembered for MS_AUTH_VERIFIED_TTL_S, then checked again */
	expired = ms_authenticator_try_fast(fixture->auth,
					    header,
					    "a",
					    T0 + (MS_AUTH_VERIFIED_TTL_S + 1) * SEC);
	g_assert_null(expired);
	rechecked = ms_authenticator_authenticate(fixture->auth,
						  header,
						  "a",
						  T0 + (MS_AUTH_VERIFIED_TTL_S + 1) * SEC);
	g_assert_cmpint(rechecked->status, ==, MS_AUTH_STATUS_OK);
	g_assert_cmpuint(ms_authenticator_get_n_password_checks(fixture->auth), ==, 3);

	/* a reload forgets: a removed user must not stay logged in */
	{
		g_autoptr(MsCredentials) none = ms_credentials_new();
		ms_authenticator_set_credentials(fixture->auth, none);
	}
	after_reload = ms_authenticator_try_fast(fixture->auth,
						 header,
						 "a",
						 T0 + (MS_AUTH_VERIFIED_TTL_S + 2) * SEC);
	g_assert_null(after_reload);
	g_clear_pointer(&after_reload, ms_auth_result_free);
	after_reload = ms_authenticator_authenticate(fixture->auth,
						     header,
						     "a",
						     T0 + (MS_AUTH_VERIFIED_TTL_S + 2) * SEC);
	g_assert_cmpint(after_reload->status, ==, MS_AUTH_STATUS_WRONG);
	g_assert_cmpuint(ms_authenticator_get_n_password_checks(fixture->auth), ==, 4);
}

static void
test_throttled(Fixture *fixture, gconstpointer data)
{
	g_autofree char *ada = basic("ada:ada-pw");
	g_autoptr(MsAuthResult) blocked = NULL;
	g_autoptr(MsAuthResult) blocked_good = NULL;
	g_autoptr(MsAuthResult) other = NULL;
	g_autoptr(MsAuthResult) missing = NULL;
	g_autoptr(MsAuthResult) later = NULL;

	/* malformed and wrong attempts both count; cheap ones are used here */
	for (guint i = 0; i < MS_AUTH_FAILURE_BURST; i++) {
		g_autoptr(MsAuthResult) r =
			authenticate(fixture, i % 2 ? "Bearer nope" : "Basic ?", "192.0.2.7", T0);
		g_assert_cmpint(r->status, !=, MS_AUTH_STATUS_THROTTLED);
		g_assert_cmpint(r->status, !=, MS_AUTH_STATUS_OK);
	}
	g_assert_cmpuint(fixture->logged->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(fixture->logged, 0), ==, MS_MESSAGE_ID_AUTH_THROTTLED);
	g_assert_nonnull(strstr(g_ptr_array_index(fixture->messages, 0), "192.0.2.7"));

	blocked = authenticate(fixture, "Bearer nope", "192.0.2.7", T0);
	g_assert_cmpint(blocked->status, ==, MS_AUTH_STATUS_THROTTLED);
	g_assert_cmpuint(blocked->retry_after_s, ==, 60 / MS_AUTH_FAILURE_PER_MINUTE);
	/* even the right password is refused while over the limit */
	blocked_good = authenticate(fixture, ada, "192.0.2.7", T0 + SEC);
	g_assert_cmpint(blocked_good->status, ==, MS_AUTH_STATUS_THROTTLED);
	g_assert_cmpuint(blocked_good->retry_after_s, ==, 60 / MS_AUTH_FAILURE_PER_MINUTE - 1);
	/* no credentials at all is not an attempt */
	missing = authenticate(fixture, NULL, "192.0.2.7", T0);
	g_assert_cmpint(missing->status, ==, MS_AUTH_STATUS_MISSING);
	/* other clients are not affected */
	other = authenticate(fixture, "Bearer the-key", "192.0.2.8", T0);
	g_assert_cmpint(other->status, ==, MS_AUTH_STATUS_OK);
	/* no address (a Unix socket client) is a client too */
	{
		g_autoptr(MsAuthResult) local = authenticate(fixture, "Bearer nope", NULL, T0);
		g_assert_cmpint(local->status, ==, MS_AUTH_STATUS_WRONG);
	}
	/* a failure's worth of time later the client may try again */
	later = authenticate(fixture, ada, "192.0.2.7", T0 + 60 / MS_AUTH_FAILURE_PER_MINUTE * SEC);
	g_assert_cmpint(later->status, ==, MS_AUTH_STATUS_OK);
	/* logged once per block, not per refused request */
	g_assert_cmpuint(fixture->logged->len, ==, 1);
}

static void
on_authenticated(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Fixture *fixture = user_data;
	g_autoptr(GError) error = NULL;

	fixture->async_result =
		ms_authenticator_authenticate_finish(MS_AUTHENTICATOR(source), result, &error);
	g_assert_no_error(error);
	g_main_loop_quit(fixture->loop);
}

static void
test_async(Fixture *fixture, gconstpointer data)
{
	g_autofree char *root = basic("root:root-pw");
	const char *values[] = { root, root, "Bearer the-key", NULL, "Basic x" };
	MsAuthStatus expected[] = { MS_AUTH_STATUS_OK,
				    MS_AUTH_STATUS_OK,
				    MS_AUTH_STATUS_OK,
				    MS_AUTH_STATUS_MISSING,
				    MS_AUTH_STATUS_MALFORMED };

	for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
		ms_authenticator_authenticate_async(fixture->auth,
						    ms_auth_header_parse(values[i]),
						    "127.0.0.1",
						    NULL,
						    on_authenticated,
						    fixture);
		g_main_loop_run(fixture->loop);
		g_assert_cmpint(fixture->async_result->status, ==, expected[i]);
		g_clear_pointer(&fixture->async_result, ms_auth_result_free);
	}
}

/*
 * a connection's memo: only the very value it kept, while fresh, under the
 * credentials it was checked against; nothing once forgotten
 */
static void
test_memo(void)
{
	MsAuthMemo memo = { 0 };
	const char *user = NULL;
	MsRole role = MS_ROLE_NONE;

	g_assert_false(ms_auth_memo_recall(&memo, "Basic YWRhOnB3", 1, T0, &user, &role));
	ms_auth_memo_remember(&memo, "Basic YWRhOnB3", "ada", MS_ROLE_ADMIN, 1, T0);
	g_assert_true(ms_auth_memo_recall(&memo, "Basic YWRhOnB3", 1, T0 + SEC, &user, &role));
	g_assert_cmpstr(user, ==, "ada");
	g_assert_cmpint(role, ==, MS_ROLE_ADMIN);

	/* another value, a prefix of it, or one longer: checked in full, not recalled */
	g_assert_false(ms_auth_memo_recall(&memo, "Basic YWRhOnB4", 1, T0, &user, &role));
	g_assert_false(ms_auth_memo_recall(&memo, "Basic YWRhOnB", 1, T0, &user, &role));
	g_assert_false(ms_auth_memo_recall(&memo, "Basic YWRhOnB3=", 1, T0, &user, &role));
	g_assert_false(ms_auth_memo_recall(&memo, NULL, 1, T0, &user, &role));
	/* the credentials were reloaded since */
	g_assert_false(ms_auth_memo_recall(&memo, "Basic YWRhOnB3", 2, T0, &user, &role));
	/* no longer than the authenticator remembers a password */
	g_assert_true(ms_auth_memo_recall(&memo,
					  "Basic YWRhOnB3",
					  1,
					  T0 + MS_AUTH_VERIFIED_TTL_S * SEC - 1,
					  &user,
					  &role));
	g_assert_false(ms_auth_memo_recall(&memo,
					   "Basic YWRhOnB3",
					   1,
					   T0 + MS_AUTH_VERIFIED_TTL_S * SEC,
					   &user,
					   &role));

	ms_auth_memo_forget(&memo);
	g_assert_null(memo.authorization);
	g_assert_null(memo.user);
	g_assert_false(ms_auth_memo_recall(&memo, "Basic YWRhOnB3", 1, T0, &user, &role));
}

/* a reload changes the generation a memo was kept under */
static void
test_generation(Fixture *fixture, gconstpointer data)
{
	g_autoptr(MsCredentials) none = ms_credentials_new();
	guint before = ms_authenticator_get_generation(fixture->auth);

	ms_authenticator_set_credentials(fixture->auth, none);
	g_assert_cmpuint(ms_authenticator_get_generation(fixture->auth), !=, before);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add("/authenticator/outcomes",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_outcomes,
		   fixture_tear_down);
	g_test_add("/authenticator/remembered",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_remembered,
		   fixture_tear_down);
	g_test_add("/authenticator/throttled",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_throttled,
		   fixture_tear_down);
	g_test_add("/authenticator/async",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_async,
		   fixture_tear_down);
	g_test_add_func("/authenticator/memo", test_memo);
	g_test_add("/authenticator/generation",
		   Fixture,
		   NULL,
		   fixture_set_up,
		   test_generation,
		   fixture_tear_down);
	return g_test_run();
}
