/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gateway/core/ms-http-fields.h"
#include "ms-test-utils.h"

/* unit tests: the gateway's header table (core/ms-http-fields.c) */

static void
test_known_names(void)
{
	/* every known name is found from its usual spelling, and in any case */
	for (guint id = MS_HTTP_FIELD_OTHER + 1; id < MS_HTTP_FIELD_LAST; id++) {
		const char *name = ms_http_field_name(id);
		g_autofree char *lower = g_ascii_strdown(name, -1);
		g_autofree char *upper = g_ascii_strup(name, -1);

		g_assert_cmpint(ms_http_field_id(name, strlen(name)), ==, id);
		g_assert_cmpint(ms_http_field_id(lower, strlen(lower)), ==, id);
		g_assert_cmpint(ms_http_field_id(upper, strlen(upper)), ==, id);
		/* a prefix or a longer name is another name */
		g_assert_cmpint(ms_http_field_id(name, strlen(name) - 1), !=, id);
	}
	g_assert_cmpint(ms_http_field_id("X-Custom", 8), ==, MS_HTTP_FIELD_OTHER);
	g_assert_cmpint(ms_http_field_id("Hosts", 5), ==, MS_HTTP_FIELD_OTHER);
	g_assert_cmpint(ms_http_field_id("", 0), ==, MS_HTTP_FIELD_OTHER);
	/* '-' is not a letter: another token byte in its place is another name */
	g_assert_cmpint(ms_http_field_id("Content_Length", 14), ==, MS_HTTP_FIELD_OTHER);
	g_assert_true(ms_http_field_is_hop_by_hop(MS_HTTP_FIELD_CONNECTION));
	g_assert_true(ms_http_field_is_hop_by_hop(MS_HTTP_FIELD_TRANSFER_ENCODING));
	g_assert_false(ms_http_field_is_hop_by_hop(MS_HTTP_FIELD_HOST));
	g_assert_false(ms_http_field_is_hop_by_hop(MS_HTTP_FIELD_OTHER));
}

static void
test_case_insensitive(void)
{
	g_autoptr(MsHttpFields) fields = ms_http_fields_new();

	ms_http_fields_append(fields, "content-type", "text/plain");
	ms_http_fields_append(fields, "X-Custom", "one");
	g_assert_cmpstr(ms_http_fields_get_one(fields, "Content-Type"), ==, "text/plain");
	g_assert_cmpstr(ms_http_fields_get_one(fields, "CONTENT-TYPE"), ==, "text/plain");
	g_assert_cmpstr(ms_http_fields_get_one_id(fields, MS_HTTP_FIELD_CONTENT_TYPE),
			==,
			"text/plain");
	g_assert_cmpstr(ms_http_fields_get_one(fields, "x-custom"), ==, "one");
	g_assert_cmpstr(ms_http_fields_get_one(fields, "X-Custo"), ==, NULL);
	g_assert_cmpstr(ms_http_fields_get_one(fields, "X-Customs"), ==, NULL);
	g_assert_true(ms_http_fields_has_id(fields, MS_HTTP_FIELD_CONTENT_TYPE));
	g_assert_false(ms_http_fields_has_id(fields, MS_HTTP_FIELD_HOST));
}

static void
test_repeated(void)
{
	g_autoptr(MsHttpFields) fields = ms_http_fields_new();

	ms_http_fields_append(fields, "Cache-Control", "no-cache");
	ms_http_fields_append(fields, "X-Other", "x");
	ms_http_fields_append(fields, "cache-control", "max-age=5");
	ms_http_fields_append(fields, "X-List", "a");
	ms_http_fields_append(fields, "x-list", "b");
	ms_http_fields_append(fields, "X-LIST", "");
	/* a list joins every copy in order; one is the last, as libsoup's get_one */
	g_assert_cmpstr(ms_http_fields_get_list(fields, "Cache-Control"),
			==,
			"no-cache, max-age=5");
	g_assert_cmpstr(ms_http_fields_get_list_id(fields, MS_HTTP_FIELD_CACHE_CONTROL),
			==,
			"no-cache, max-age=5");
	g_assert_cmpstr(ms_http_fields_get_one(fields, "Cache-Control"), ==, "max-age=5");
	g_assert_cmpstr(ms_http_fields_get_list(fields, "X-List"), ==, "a, b, ");
	/* empty values are list members too: a repeated empty Host is not one empty Host */
	ms_http_fields_append(fields, "X-Empty", "");
	ms_http_fields_append(fields, "X-Empty", "");
	g_assert_cmpstr(ms_http_fields_get_list(fields, "X-Empty"), ==, ", ");
	g_assert_cmpstr(ms_http_fields_get_list(fields, "X-Other"), ==, "x");
	g_assert_cmpstr(ms_http_fields_get_list(fields, "X-None"), ==, NULL);
	g_assert_cmpuint(ms_http_fields_count(fields), ==, 8);
}

static void
test_remove(void)
{
	g_autoptr(MsHttpFields) fields = ms_http_fields_new();
	MsHttpFieldsIter iter;
	const MsHttpField *field;
	const char *kept;
	GString *order = g_string_new(NULL);

	ms_http_fields_append(fields, "Host", "a");
	ms_http_fields_append(fields, "X-Gone", "1");
	ms_http_fields_append(fields, "Accept", "*/*");
	ms_http_fields_append(fields, "x-gone", "2");
	kept = ms_http_fields_get_one(fields, "X-Gone");
	ms_http_fields_remove(fields, "X-GONE");
	/* what was read stays valid after a removal */
	g_assert_cmpstr(kept, ==, "2");
	g_assert_cmpstr(ms_http_fields_get_one(fields, "X-Gone"), ==, NULL);
	g_assert_cmpuint(ms_http_fields_count(fields), ==, 2);
	ms_http_fields_replace(fields, "host", "b");
	ms_http_fields_replace_id(fields, MS_HTTP_FIELD_ACCEPT, "text/html");
	ms_http_fields_iter_init(&iter, fields);
	while ((field = ms_http_fields_iter_next(&iter)) != NULL) {
		g_string_append_printf(order, "%s=%s;", field->name, field->value);
		g_assert_cmpuint(field->name_length, ==, strlen(field->name));
		g_assert_cmpuint(field->value_length, ==, strlen(field->value));
	}
	/* replaced fields go to the end; a known name takes its usual spelling */
	g_assert_cmpstr(order->str, ==, "Host=b;Accept=text/html;");
	/* removal while iterating */
	ms_http_fields_iter_init(&iter, fields);
	while ((field = ms_http_fields_iter_next(&iter)) != NULL) {
		if (field->id == MS_HTTP_FIELD_HOST)
			ms_http_fields_iter_remove(&iter);
	}
	g_assert_cmpuint(ms_http_fields_count(fields), ==, 1);
	g_assert_cmpstr(ms_http_fields_get_one_id(fields, MS_HTTP_FIELD_HOST), ==, NULL);
	g_string_free(order, TRUE);
}

static void
test_clear_and_grow(void)
{
	g_autoptr(MsHttpFields) fields = ms_http_fields_new();
	g_autofree char *big = g_strnfill(10000, 'v');
	const char *first;
	char name[32];

	/* more fields and more bytes than the table starts with */
	for (guint i = 0; i < 300; i++) {
		g_snprintf(name, sizeof name, "X-Field-%u", i);
		ms_http_fields_append(fields, name, i == 7 ? big : "value");
	}
	first = ms_http_fields_get_one(fields, "X-Field-0");
	ms_http_fields_append(fields, "X-Big", big);
	/* storage never moves: what was handed out stays where it is */
	g_assert_cmpstr(first, ==, "value");
	g_assert_cmpstr(ms_http_fields_get_one(fields, "X-Field-7"), ==, big);
	g_assert_cmpstr(ms_http_fields_get_one(fields, "x-field-299"), ==, "value");
	g_assert_cmpuint(ms_http_fields_count(fields), ==, 301);
	ms_http_fields_clear(fields);
	g_assert_cmpuint(ms_http_fields_count(fields), ==, 0);
	g_assert_cmpstr(ms_http_fields_get_one(fields, "X-Big"), ==, NULL);
	ms_http_fields_append(fields, "Vary", "Origin");
	g_assert_cmpstr(ms_http_fields_get_list_id(fields, MS_HTTP_FIELD_VARY), ==, "Origin");
}

static void
test_stored(void)
{
	g_autoptr(MsHttpFields) fields = ms_http_fields_new();
	const char line[] = "Content-Length: 5";
	char *room = ms_http_fields_reserve(fields, sizeof line);
	MsHttpField copy = { 0 };
	g_autoptr(MsHttpFields) other = ms_http_fields_new();
	MsHttpFieldsIter iter;

	/* a parser cuts the fields in place: no copy of their bytes */
	memcpy(room, line, sizeof line);
	room[14] = '\0';
	ms_http_fields_append_stored(fields, room, 14, room + 16, 1);
	g_assert_cmpstr(ms_http_fields_get_one_id(fields, MS_HTTP_FIELD_CONTENT_LENGTH), ==, "5");
	g_assert_true(ms_http_fields_get_one_id(fields, MS_HTTP_FIELD_CONTENT_LENGTH) == room + 16);
	/* a field copied to another table keeps its id */
	ms_http_fields_iter_init(&iter, fields);
	copy = *ms_http_fields_iter_next(&iter);
	ms_http_fields_append_field(other, &copy);
	ms_http_fields_clear(fields);
	g_assert_cmpstr(ms_http_fields_get_one(other, "content-length"), ==, "5");
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/http-fields/known-names", test_known_names);
	g_test_add_func("/http-fields/case-insensitive", test_case_insensitive);
	g_test_add_func("/http-fields/repeated", test_repeated);
	g_test_add_func("/http-fields/remove", test_remove);
	g_test_add_func("/http-fields/clear-and-grow", test_clear_and_grow);
	g_test_add_func("/http-fields/stored", test_stored);
	return g_test_run();
}
