/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gateway/core/ms-json-check.h"
#include "ms-test-utils.h"

/* unit tests: which bytes are one JSON text (RFC 8259), and of which kind */

typedef struct {
	const char *text;
	gsize length; /* the literal's, so a NUL inside counts */
	MsJsonKind kind;
} Case;

/* one line each, as table rows */
/* clang-format off */
#define VALID(literal, kind) { literal, sizeof(literal) - 1, MS_JSON_KIND_##kind }
#define INVALID(literal)     { literal, sizeof(literal) - 1, MS_JSON_KIND_INVALID }
/* clang-format on */

static void
assert_cases(const Case *cases, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		g_autofree char *shown = g_strescape(cases[i].text, NULL);

		g_test_message("%s", shown);
		/* a copy of the exact length: a read past the end shows under ASan and valgrind */
		g_autofree char *copy = g_memdup2(cases[i].text, cases[i].length);
		g_assert_cmpint(ms_json_check(copy, cases[i].length), ==, cases[i].kind);
	}
}

static void
test_valid(void)
{
	static const Case cases[] = {
		VALID("{}", OBJECT),
		VALID("[]", ARRAY),
		VALID(" \t\r\n{ \t\r\n} \t\r\n", OBJECT),
		VALID("{\"message\":\"Hello, Ada!\"}", OBJECT),
		VALID("{\"a\" : [1, 2.5, -3e2, true, false, null, {}, []], \"b\" : {\"c\" : \"\"}}",
		      OBJECT),
		VALID("{\"a\":1,\"a\":2}", OBJECT), /* names SHOULD be unique: not MUST */
		VALID("[[[\"deep\"]]]", ARRAY),
		VALID("\"\"", STRING),
		VALID("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", STRING),
		VALID("\"\\u0000 \\u00e9 \\uFFFF \\u20AC\"", STRING),
		VALID("\"\\ud83d\\ude00 \\uDBFF\\uDFFF\"", STRING),
		VALID("\"สวัสดี ü € 😀\"", STRING),
		VALID("\" \x7f\"", STRING), /* the ends of what a string holds raw */
		VALID("0", NUMBER),
		VALID("-0", NUMBER),
		VALID("-0.0e-0", NUMBER),
		VALID("12.5E+10", NUMBER),
		VALID("1e400", NUMBER),
		VALID("123456789012345678901234567890", NUMBER),
		VALID(" 7 ", NUMBER),
		VALID("true", LITERAL),
		VALID("false", LITERAL),
		VALID("null", LITERAL),
	};

	assert_cases(cases, G_N_ELEMENTS(cases));
}

/* what json-glib 1.6's parser takes, and RFC 8259 does not */
static void
test_lenient(void)
{
	static const Case cases[] = {
		INVALID(""),
		INVALID("  \n"),
		INVALID("01"),
		INVALID("-01"),
		INVALID("1."),
		INVALID("1.e5"),
		INVALID(".5"),
		INVALID("0x10"),
		INVALID("'a'"),
		INVALID("{'a':1}"),
		INVALID("/* c */ 1"),
		INVALID("1 /* c */"),
		INVALID("var x = 1;"),
		INVALID("[1] [2]"),
		INVALID("\"\\x41\""),
		INVALID("\"\\a\""),
		INVALID("\"a\tb\""),
		INVALID("\"a\x1b\""),
		INVALID("\"\\ud800x\""),
		INVALID("\xef\xbb\xbf{}"),
	};

	assert_cases(cases, G_N_ELEMENTS(cases));
}

static void
test_invalid(void)
{
	static const Case cases[] = {
		INVALID("+1"),
		INVALID("-"),
		INVALID("--1"),
		INVALID("1e"),
		INVALID("1e+"),
		INVALID("0.e1"),
		INVALID("-0."),
		INVALID("1.5.5"),
		INVALID("[.5]"),
		INVALID("Infinity"),
		INVALID("NaN"),
		INVALID("tru"),
		INVALID("True"),
		INVALID("nul"),
		INVALID("nulll"),
		INVALID("truefalse"),
		INVALID("1 2"),
		INVALID("[1,]"),
		INVALID("{\"a\":1,}"),
		INVALID("[,1]"),
		INVALID("[1,,2]"),
		INVALID("[1 2]"),
		INVALID("{\"a\" 1}"),
		INVALID("{\"a\"}"),
		INVALID("{\"a\":}"),
		INVALID("{a:1}"),
		INVALID("{1:1}"),
		INVALID("{\"a\":1 \"b\":2}"),
		INVALID("[\"a\":1]"),
		INVALID("{\"a\":1]"),
		INVALID("[1}"),
		INVALID("{}}"),
		INVALID("[]]"),
		INVALID("["),
		INVALID("]"),
		INVALID("{"),
		INVALID("{\"a\":[1,{\"b\":2}"),
		INVALID("\""),
		INVALID("\"abc"),
		INVALID("\"\\\""),
		INVALID("\"\\"),
		INVALID("\"\\u"),
		INVALID("\"\\u12\""),
		INVALID("\"\\u123"),
		INVALID("\"\\u12g4\""),
		INVALID("\"\\ud800\""),
		INVALID("\"\\udc00\""),
		INVALID("\"\\ud800\\u0041\""),
		INVALID("\"\\udc00\\ud800\""),
		INVALID("\"\\ud800"),
		INVALID("\"\\ud800\\"),
		INVALID("\"\\ud800\\u"),
		INVALID("\"\\ud800\\udc0"),
		INVALID("\"\\ud800\\ude0\""),
		INVALID("\"\\ud800\\n\""),
		INVALID("\v1"),
		INVALID("\f1"),
		INVALID("1\v"),
		INVALID("\xc3\xa9"),
		INVALID("\xc2\xa0[]"), /* U+00A0 is no JSON whitespace */
		INVALID("[1]\xc3\xa9"),
		INVALID("\"\xff\""),
		INVALID("\"\xc0\xaf\""),
		INVALID("\"\xed\xa0\x80\""),
		INVALID("\"\xf4\x90\x80\x80\""),
		INVALID("\"\xc3\""),
		INVALID("\"\x1f\""),
		INVALID("\"a\0b\""),
		INVALID("1\0"),
		INVALID("\0"),
	};

	assert_cases(cases, G_N_ELEMENTS(cases));
}

/* @depth levels of @open, a value, then their closings */
static char *
nested(guint depth, const char *open, const char *value, char close)
{
	GString *text = g_string_new(NULL);

	for (guint i = 0; i < depth; i++)
		g_string_append(text, open);
	g_string_append(text, value);
	for (guint i = 0; i < depth; i++)
		g_string_append_c(text, close);
	return g_string_free(text, FALSE);
}

static void
assert_nested(guint depth, const char *open, const char *value, char close, MsJsonKind kind)
{
	g_autofree char *text = nested(depth, open, value, close);

	g_assert_cmpint(ms_json_check(text, strlen(text)), ==, kind);
}

/* the bound on nesting holds for arrays, objects and empty innermost levels alike */
static void
test_depth(void)
{
	const guint max = MS_JSON_CHECK_MAX_DEPTH;

	assert_nested(max, "[", "1", ']', MS_JSON_KIND_ARRAY);
	assert_nested(max + 1, "[", "1", ']', MS_JSON_KIND_INVALID);
	assert_nested(max - 1, "[", "[]", ']', MS_JSON_KIND_ARRAY);
	assert_nested(max, "[", "[]", ']', MS_JSON_KIND_INVALID);
	assert_nested(max, "{\"a\":", "1", '}', MS_JSON_KIND_OBJECT);
	assert_nested(max + 1, "{\"a\":", "1", '}', MS_JSON_KIND_INVALID);
	assert_nested(max - 1, "{\"a\":", "{}", '}', MS_JSON_KIND_OBJECT);
	assert_nested(max, "{\"a\":", "{}", '}', MS_JSON_KIND_INVALID);
	assert_nested(max / 2, "[{\"a\":", "0", ']', MS_JSON_KIND_INVALID); /* mismatched */
}

/*
 * nesting that a recursive parser would follow down the stack: json-glib 1.6
 * overflows its thread's stack on 100 000 levels, 200 KB, less than a part
 * may answer. The check refuses at the bound, with nothing on the stack.
 */
static void
test_deep(void)
{
	const gsize depth = 1000 * 1000;
	g_autofree char *open = g_malloc(depth);

	memset(open, '[', depth);
	g_assert_cmpint(ms_json_check(open, depth), ==, MS_JSON_KIND_INVALID);
	assert_nested(100 * 1000, "[", "1", ']', MS_JSON_KIND_INVALID);
}

/* a large valid text: every byte is looked at, once */
static void
test_long(void)
{
	const gsize length = 256 * 1024;
	g_autofree char *text = g_malloc(length);

	text[0] = '"';
	for (gsize i = 1; i < length - 1; i++)
		text[i] = "ab\\n"[i % 4];
	/* an escape cut by the closing quote would be \": keep the pairs whole */
	text[length - 2] = 'z';
	text[length - 1] = '"';
	g_assert_cmpint(ms_json_check(text, length), ==, MS_JSON_KIND_STRING);
	text[length - 1] = 'z';
	g_assert_cmpint(ms_json_check(text, length), ==, MS_JSON_KIND_INVALID);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/json-check/valid", test_valid);
	g_test_add_func("/json-check/lenient", test_lenient);
	g_test_add_func("/json-check/invalid", test_invalid);
	g_test_add_func("/json-check/depth", test_depth);
	g_test_add_func("/json-check/deep", test_deep);
	g_test_add_func("/json-check/long", test_long);
	return g_test_run();
}
