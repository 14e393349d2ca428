/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "core/services/ms-expression.h"
#include "ms-test-utils.h"

/* the parser and evaluator: precedence, associativity, signs, errors, limits */

typedef struct {
	const char *text;
	double expected;
} Case;

static void
assert_value(const char *text, double expected)
{
	g_autoptr(GError) error = NULL;
	double value = NAN;

	if (!ms_expression_evaluate(text, strlen(text), NULL, &value, &error))
		g_error("“%s” failed: %s", text, error->message);
	if (fabs(value - expected) > 1e-12 * MAX(1.0, fabs(expected)))
		g_error("“%s” is %.17g, expected %.17g", text, value, expected);
}

static void
assert_error(const char *text, MsCalcError code, const char *in_message)
{
	g_autoptr(GError) error = NULL;
	double value = 0;

	g_assert_false(ms_expression_evaluate(text, strlen(text), NULL, &value, &error));
	g_assert_error(error, MS_CALC_ERROR, (int)code);
	if (in_message != NULL && strstr(error->message, in_message) == NULL)
		g_error("“%s”: “%s” does not say “%s”", text, error->message, in_message);
}

static void
test_precedence(void)
{
	static const Case cases[] = {
		{ "1+2*3", 7 },    { "(1+2)*3", 9 },   { "2*3+4", 10 },    { "10-4-3", 3 },
		{ "100/10/5", 2 }, { "2*3^2", 18 },    { "7%4*2", 6 },     { "1+7%4", 4 },
		{ "2*(3+4)", 14 }, { " 1 +\t2\n", 3 }, { "((((7))))", 7 }, { "8/2*4", 16 },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		assert_value(cases[i].text, cases[i].expected);
}

static void
test_associativity(void)
{
	assert_value("2^3^2", 512);
	assert_value("(2^3)^2", 64);
	assert_value("2^-1", 0.5);
	assert_value("2^-1^2", 0.5); /* 2^(-(1^2)) */
	assert_value("1-2-3", -4);
	assert_value("2^2^0", 2);
}

static void
test_unary(void)
{
	assert_value("-2^2", -4);
	assert_value("(-2)^2", 4);
	assert_value("--2", 2);
	assert_value("+-+2", -2);
	assert_value("3--2", 5);
	assert_value("-(1+2)*2", -6);
	assert_value("2*-3", -6);
	assert_value("-0", 0);
}

static void
test_numbers(void)
{
	assert_value("0.5", 0.5);
	assert_value(".5", 0.5);
	assert_value("1e3", 1000);
	assert_value("1.5E-2", 0.015);
	assert_value("2e+2", 200);
	assert_value("007", 7);
	assert_error("1.", MS_CALC_ERROR_SYNTAX, "position 3");
	assert_error("1e", MS_CALC_ERROR_SYNTAX, "position 3");
	assert_error("1e+", MS_CALC_ERROR_SYNTAX, "position 4");
	assert_error("1.2.3", MS_CALC_ERROR_SYNTAX, "“.” at position 4");
	assert_error("1e999", MS_CALC_ERROR_OVERFLOW, "position 1");
}

static void
test_mod_pow(void)
{
	/* % is the remainder of truncated division: its sign follows the dividend */
	assert_value("7%3", 1);
	assert_value("-7%3", -1);
	assert_value("7%-3", 1);
	assert_value("5.5%2", 1.5);
	assert_value("2^0.5", sqrt(2));
	assert_value("0^0", 1);
	assert_error("5%0", MS_CALC_ERROR_DIVISION_BY_ZERO, NULL);
	assert_error("0^-1", MS_CALC_ERROR_DIVISION_BY_ZERO, NULL);
	assert_error("(-8)^(1/3)", MS_CALC_ERROR_NON_FINITE, NULL);
	assert_error("10^400", MS_CALC_ERROR_OVERFLOW, NULL);
}

static void
test_arithmetic_errors(void)
{
	assert_error("1/0", MS_CALC_ERROR_DIVISION_BY_ZERO, NULL);
	assert_error("1/(2-2)", MS_CALC_ERROR_DIVISION_BY_ZERO, NULL);
	assert_error("0/0", MS_CALC_ERROR_DIVISION_BY_ZERO, NULL);
	assert_error("1e308*10", MS_CALC_ERROR_OVERFLOW, NULL);
	assert_error("1e308+1e308", MS_CALC_ERROR_OVERFLOW, NULL);
	assert_error("-1e308-1e308", MS_CALC_ERROR_OVERFLOW, NULL);
	assert_error("1e308/1e-308", MS_CALC_ERROR_OVERFLOW, NULL);
}

static void
test_syntax_errors(void)
{
	assert_error("", MS_CALC_ERROR_SYNTAX, "empty");
	assert_error("   ", MS_CALC_ERROR_SYNTAX, "empty");
	assert_error("1+", MS_CALC_ERROR_SYNTAX, "ends unexpectedly at position 3");
	assert_error("2 $ 3", MS_CALC_ERROR_SYNTAX, "“$” at position 3");
	assert_error("(1+2", MS_CALC_ERROR_SYNTAX, "expected “)” at position 5");
	assert_error("(1+2 3", MS_CALC_ERROR_SYNTAX, "expected “)” at position 6");
	assert_error("1+2)", MS_CALC_ERROR_SYNTAX, "“)” at position 4");
	assert_error("1 2", MS_CALC_ERROR_SYNTAX, "“2” at position 3");
	assert_error("*1", MS_CALC_ERROR_SYNTAX, "“*” at position 1");
	assert_error("()", MS_CALC_ERROR_SYNTAX, "“)” at position 2");
	assert_error("abc", MS_CALC_ERROR_SYNTAX, "“a” at position 1");
	/* positions count characters, not bytes */
	assert_error("ก+1", MS_CALC_ERROR_SYNTAX, "“ก” at position 1");
	assert_error("1+ก", MS_CALC_ERROR_SYNTAX, "“ก” at position 3");
	assert_error("ไก+x", MS_CALC_ERROR_SYNTAX, "position 1");
	assert_error("1+\x01", MS_CALC_ERROR_SYNTAX, "unexpected character at position 3");
	assert_error("1+\xff", MS_CALC_ERROR_SYNTAX, "unexpected character at position 3");
}

static void
test_not_terminated(void)
{
	g_autoptr(GError) error = NULL;
	double value = 0;
	const char text[] = { '1', '+', '2', '9' };

	/* only @length bytes are read */
	g_assert_true(ms_expression_evaluate(text, 3, NULL, &value, &error));
	g_assert_no_error(error);
	g_assert_cmpfloat(value, ==, 3);
	g_assert_false(ms_expression_evaluate("1\0"
					      "2",
					      3,
					      NULL,
					      &value,
					      &error));
	g_assert_error(error, MS_CALC_ERROR, MS_CALC_ERROR_SYNTAX);
}

static void
test_limits(void)
{
	g_autoptr(GString) text = g_string_new(NULL);

	/* 4096 bytes are fine, 4097 are not */
	g_string_append(text, "1");
	while (text->len < MS_EXPRESSION_MAX_LENGTH)
		g_string_append(text, text->len + 2 <= MS_EXPRESSION_MAX_LENGTH ? "+1" : " ");
	g_assert_cmpuint(text->len, ==, 4096);
	assert_value(text->str, 2048);
	g_string_append_c(text, ' ');
	assert_error(text->str, MS_CALC_ERROR_TOO_LONG, "4096");

	/* 64 nested parentheses are fine, 65 are not */
	g_string_assign(text, "");
	for (guint i = 0; i < 64; i++)
		g_string_append_c(text, '(');
	g_string_append_c(text, '1');
	for (guint i = 0; i < 64; i++)
		g_string_append_c(text, ')');
	assert_value(text->str, 1);
	g_string_prepend_c(text, '(');
	g_string_append_c(text, ')');
	assert_error(text->str, MS_CALC_ERROR_TOO_DEEP, "position 65");

	/* signs and powers count too: no input recurses without bound */
	g_string_assign(text, "");
	for (guint i = 0; i < 4000; i++)
		g_string_append_c(text, '-');
	g_string_append_c(text, '1');
	assert_error(text->str, MS_CALC_ERROR_TOO_DEEP, NULL);
	g_string_assign(text, "1");
	for (guint i = 0; i < 2000; i++)
		g_string_append(text, "^1");
	assert_error(text->str, MS_CALC_ERROR_TOO_DEEP, NULL);
	g_string_assign(text, "");
	for (guint i = 0; i < 4096; i++)
		g_string_append_c(text, '(');
	assert_error(text->str, MS_CALC_ERROR_TOO_DEEP, NULL);
}

static void
test_format(void)
{
	static const struct {
		double value;
		const char *text;
	} cases[] = {
		{ 3, "3" },
		{ -0.0, "0" },
		{ 14, "14" },
		{ -5, "-5" },
		{ 0.1, "0.1" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 2.5, "2.5" },
		{ 1e21, "1e+21" },
		{ 9007199254740992.0, "9007199254740992" },
		{ 1e-7, "1e-07" },
		{ 1.0 / 3.0, "0.3333333333333333" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = ms_number_format(cases[i].value);
		g_assert_cmpstr(text, ==, cases[i].text);
	}
}

static void
test_operations(void)
{
	g_autoptr(GError) error = NULL;
	MsCalcOperation operation = MS_CALC_OPERATION_ADD;
	double value = 0;

	g_assert_true(ms_calc_operation_from_name("div", &operation));
	g_assert_cmpint(operation, ==, MS_CALC_OPERATION_DIV);
	g_assert_false(ms_calc_operation_from_name("root", &operation));
	g_assert_cmpstr(ms_calc_operation_to_name(MS_CALC_OPERATION_SUB), ==, "sub");
	g_assert_true(ms_calc_apply(MS_CALC_OPERATION_DIV, 1, 4, NULL, &value, &error));
	g_assert_cmpfloat(value, ==, 0.25);
	g_assert_false(ms_calc_apply(MS_CALC_OPERATION_DIV, 1, 0, NULL, &value, &error));
	g_assert_error(error, MS_CALC_ERROR, MS_CALC_ERROR_DIVISION_BY_ZERO);
	g_clear_error(&error);
	g_assert_false(ms_calc_apply(MS_CALC_OPERATION_MUL, 1e200, 1e200, NULL, &value, &error));
	g_assert_error(error, MS_CALC_ERROR, MS_CALC_ERROR_OVERFLOW);
}

static void
test_thai(void)
{
	g_autoptr(GError) error = NULL;
	double value = 0;

	g_assert_false(ms_expression_evaluate("1+", 2, "th", &value, &error));
	g_assert_error(error, MS_CALC_ERROR, MS_CALC_ERROR_SYNTAX);
	g_assert_null(strstr(error->message, "unexpectedly"));
	g_assert_nonnull(strstr(error->message, "3"));
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/expression/precedence", test_precedence);
	g_test_add_func("/expression/associativity", test_associativity);
	g_test_add_func("/expression/unary", test_unary);
	g_test_add_func("/expression/numbers", test_numbers);
	g_test_add_func("/expression/mod-pow", test_mod_pow);
	g_test_add_func("/expression/arithmetic-errors", test_arithmetic_errors);
	g_test_add_func("/expression/syntax-errors", test_syntax_errors);
	g_test_add_func("/expression/not-terminated", test_not_terminated);
	g_test_add_func("/expression/limits", test_limits);
	g_test_add_func("/expression/format", test_format);
	g_test_add_func("/expression/operations", test_operations);
	g_test_add_func("/expression/thai", test_thai);
	return g_test_run();
}
