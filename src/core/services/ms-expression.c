/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-expression.h"

#include <math.h>

#include "common/ms-i18n.h"

/*
 * The grammar, lowest precedence first:
 *
 *   expression := term (("+" | "-") term)*
 *   term       := unary (("*" | "/" | "%") unary)*
 *   unary      := ("-" | "+") unary | power
 *   power      := primary ("^" unary)?
 *   primary    := number | "(" expression ")"
 *
 * so "^" binds tighter than a sign on its left (-2^2 is -4), is right-associative
 * (2^3^2 is 2^9) and takes a signed exponent (2^-1). Every recursion that the input
 * can repeat (a parenthesis, a sign, a "^") counts towards one depth limit, so no
 * input reaches a deep stack.
 */

/* G_DEFINE_QUARK makes the name a string: spaces would be part of it */
/* clang-format off */
G_DEFINE_QUARK(ms-calc-error-quark, ms_calc_error)
/* clang-format on */

typedef struct {
	const char *text;
	gsize length;
	gsize pos; /* bytes */
	guint depth;
	const char *language;
	GError **error;
} Parser;

static const struct {
	const char *name;
	const char *symbol;
} operations[] = {
	[MS_CALC_OPERATION_ADD] = { "add", "+" }, [MS_CALC_OPERATION_SUB] = { "sub", "-" },
	[MS_CALC_OPERATION_MUL] = { "mul", "*" }, [MS_CALC_OPERATION_DIV] = { "div", "/" },
	[MS_CALC_OPERATION_MOD] = { "mod", "%" }, [MS_CALC_OPERATION_POW] = { "pow", "^" },
};

/* a calculation error, in the language of whoever reads it */
#define calc_error_set(error, code, language, ...) \
	ms_i18n_set_error((error), MS_CALC_ERROR, (code), (language), __VA_ARGS__)

gboolean
ms_calc_operation_from_name(const char *name, MsCalcOperation *operation)
{
	for (guint i = 0; i < G_N_ELEMENTS(operations); i++) {
		if (g_strcmp0(name, operations[i].name) == 0) {
			*operation = (MsCalcOperation)i;
			return TRUE;
		}
	}
	return FALSE;
}

const char *
ms_calc_operation_to_name(MsCalcOperation operation)
{
	g_return_val_if_fail(operation < G_N_ELEMENTS(operations), NULL);
	return operations[operation].name;
}

const char *
ms_calc_operation_to_symbol(MsCalcOperation operation)
{
	g_return_val_if_fail(operation < G_N_ELEMENTS(operations), NULL);
	return operations[operation].symbol;
}

/**
 * ms_calc_apply:
 * @a: a finite number
 * @b: a finite number
 * @language: (nullable): the language of the error message
 *
 * `%` is the remainder of truncated division (its sign is the sign of @a), `^` is
 * the real power. A zero divisor, and 0 to a negative power, are a division by zero;
 * an infinite result from finite operands is an overflow; NaN is non-finite.
 *
 * Returns: %FALSE with a #MsCalcError when the result is not a finite number
 */
gboolean
ms_calc_apply(MsCalcOperation operation,
	      double a,
	      double b,
	      const char *language,
	      double *result,
	      GError **error)
{
	double value = 0;

	switch (operation) {
	case MS_CALC_OPERATION_ADD:
		value = a + b;
		break;
	case MS_CALC_OPERATION_SUB:
		value = a - b;
		break;
	case MS_CALC_OPERATION_MUL:
		value = a * b;
		break;
	case MS_CALC_OPERATION_DIV:
	case MS_CALC_OPERATION_MOD:
		if (b == 0) {
			calc_error_set(error,
				       MS_CALC_ERROR_DIVISION_BY_ZERO,
				       language,
				       N_("division by zero"));
			return FALSE;
		}
		value = operation == MS_CALC_OPERATION_DIV ? a / b : fmod(a, b);
		break;
	case MS_CALC_OPERATION_POW:
		if (a == 0 && b < 0) {
			calc_error_set(error,
				       MS_CALC_ERROR_DIVISION_BY_ZERO,
				       language,
				       N_("division by zero: 0 raised to a negative power"));
			return FALSE;
		}
		value = pow(a, b);
		break;
	default:
		g_assert_not_reached();
	}
	if (isnan(value) || !isfinite(a) || !isfinite(b)) {
		calc_error_set(error,
			       MS_CALC_ERROR_NON_FINITE,
			       language,
			       N_("the result is not a finite number"));
		return FALSE;
	}
	if (isinf(value)) {
		calc_error_set(error,
			       MS_CALC_ERROR_OVERFLOW,
			       language,
			       N_("the result is too large to represent"));
		return FALSE;
	}
	/* -0 is a detail of the representation, not an answer anyone wants */
	*result = value == 0 ? 0 : value;
	return TRUE;
}

/* 1-based character position of byte @pos; invalid UTF-8 counts a byte a character */
static guint
char_position(Parser *p, gsize pos)
{
	guint n = 1;

	for (gsize i = 0; i < pos && i < p->length; i++) {
		if (((guchar)p->text[i] & 0xC0) != 0x80)
			n++;
	}
	return n;
}

static gboolean
syntax_error_unexpected(Parser *p)
{
	guint position = char_position(p, p->pos);
	gsize left = p->length - p->pos;
	gunichar c;

	if (p->pos >= p->length) {
		calc_error_set(p->error,
			       MS_CALC_ERROR_SYNTAX,
			       p->language,
			       N_("the expression ends unexpectedly at position %u"),
			       position);
		return FALSE;
	}
	c = g_utf8_get_char_validated(p->text + p->pos, (gssize)MIN(left, 6));
	if (c == (gunichar)-1 || c == (gunichar)-2 || c == 0 || !g_unichar_isprint(c)) {
		calc_error_set(p->error,
			       MS_CALC_ERROR_SYNTAX,
			       p->language,
			       N_("unexpected character at position %u"),
			       position);
	} else {
		char utf8[7] = { 0 };
		g_unichar_to_utf8(c, utf8);
		calc_error_set(p->error,
			       MS_CALC_ERROR_SYNTAX,
			       p->language,
			       N_("unexpected character “%s” at position %u"),
			       utf8,
			       position);
	}
	return FALSE;
}

static void
skip_space(Parser *p)
{
	while (p->pos < p->length && (p->text[p->pos] == ' ' || p->text[p->pos] == '\t' ||
				      p->text[p->pos] == '\n' || p->text[p->pos] == '\r'))
		p->pos++;
}

static gboolean
peek(Parser *p, char c)
{
	skip_space(p);
	return p->pos < p->length && p->text[p->pos] == c;
}

static gboolean
depth_enter(Parser *p)
{
	if (++p->depth <= MS_EXPRESSION_MAX_DEPTH)
		return TRUE;
	calc_error_set(p->error,
		       MS_CALC_ERROR_TOO_DEEP,
		       p->language,
		       N_("the expression nests deeper than %u levels at position %u"),
		       (guint)MS_EXPRESSION_MAX_DEPTH,
		       char_position(p, p->pos));
	return FALSE;
}

static gsize
skip_digits(Parser *p, gsize pos)
{
	while (pos < p->length && g_ascii_isdigit(p->text[pos]))
		pos++;
	return pos;
}

/* digits ["." digits] [("e" | "E") ["+" | "-"] digits], or "." digits ... */
static gboolean
parse_number(Parser *p, double *out)
{
	gsize start = p->pos;
	gsize end = skip_digits(p, start);
	gboolean digits = end > start;
	g_autofree char *literal = NULL;
	double value;

	if (end < p->length && p->text[end] == '.') {
		gsize fraction = end + 1;
		end = skip_digits(p, fraction);
		if (end == fraction) {
			p->pos = end;
			return syntax_error_unexpected(p);
		}
		digits = TRUE;
	}
	if (!digits)
		return syntax_error_unexpected(p);
	if (end < p->length && (p->text[end] == 'e' || p->text[end] == 'E')) {
		gsize exponent = end + 1;
		if (exponent < p->length && (p->text[exponent] == '+' || p->text[exponent] == '-'))
			exponent++;
		end = skip_digits(p, exponent);
		if (end == exponent) {
			p->pos = end;
			return syntax_error_unexpected(p);
		}
	}
	literal = g_strndup(p->text + start, end - start);
	value = g_ascii_strtod(literal, NULL);
	if (isinf(value)) {
		calc_error_set(p->error,
			       MS_CALC_ERROR_OVERFLOW,
			       p->language,
			       N_("the number at position %u is too large to represent"),
			       char_position(p, start));
		return FALSE;
	}
	p->pos = end;
	*out = value;
	return TRUE;
}

static gboolean
parse_sum(Parser *p, double *out);
static gboolean
parse_unary(Parser *p, double *out);

static gboolean
parse_primary(Parser *p, double *out)
{
	skip_space(p);
	if (p->pos < p->length && p->text[p->pos] == '(') {
		if (!depth_enter(p))
			return FALSE;
		p->pos++;
		if (!parse_sum(p, out))
			return FALSE;
		if (!peek(p, ')')) {
			calc_error_set(p->error,
				       MS_CALC_ERROR_SYNTAX,
				       p->language,
				       N_("expected “)” at position %u"),
				       char_position(p, p->pos));
			return FALSE;
		}
		p->pos++;
		p->depth--;
		return TRUE;
	}
	if (p->pos < p->length && (g_ascii_isdigit(p->text[p->pos]) || p->text[p->pos] == '.'))
		return parse_number(p, out);
	return syntax_error_unexpected(p);
}

static gboolean
parse_power(Parser *p, double *out)
{
	double base = 0, exponent = 0;

	if (!parse_primary(p, &base))
		return FALSE;
	if (!peek(p, '^')) {
		*out = base;
		return TRUE;
	}
	p->pos++;
	if (!depth_enter(p) || !parse_unary(p, &exponent))
		return FALSE;
	p->depth--;
	return ms_calc_apply(MS_CALC_OPERATION_POW, base, exponent, p->language, out, p->error);
}

static gboolean
parse_unary(Parser *p, double *out)
{
	double value = 0;
	char sign;

	if (!peek(p, '-') && !peek(p, '+'))
		return parse_power(p, out);
	sign = p->text[p->pos++];
	if (!depth_enter(p) || !parse_unary(p, &value))
		return FALSE;
	p->depth--;
	*out = sign == '-' && value != 0 ? -value : value;
	return TRUE;
}

static gboolean
parse_product(Parser *p, double *out)
{
	double left = 0;

	if (!parse_unary(p, &left))
		return FALSE;
	for (;;) {
		MsCalcOperation operation;
		double right = 0;

		if (peek(p, '*'))
			operation = MS_CALC_OPERATION_MUL;
		else if (peek(p, '/'))
			operation = MS_CALC_OPERATION_DIV;
		else if (peek(p, '%'))
			operation = MS_CALC_OPERATION_MOD;
		else
			break;
		p->pos++;
		if (!parse_unary(p, &right) ||
		    !ms_calc_apply(operation, left, right, p->language, &left, p->error))
			return FALSE;
	}
	*out = left;
	return TRUE;
}

static gboolean
parse_sum(Parser *p, double *out)
{
	double left = 0;

	if (!parse_product(p, &left))
		return FALSE;
	for (;;) {
		MsCalcOperation operation;
		double right = 0;

		if (peek(p, '+'))
			operation = MS_CALC_OPERATION_ADD;
		else if (peek(p, '-'))
			operation = MS_CALC_OPERATION_SUB;
		else
			break;
		p->pos++;
		if (!parse_product(p, &right) ||
		    !ms_calc_apply(operation, left, right, p->language, &left, p->error))
			return FALSE;
	}
	*out = left;
	return TRUE;
}

/**
 * ms_expression_evaluate:
 * @text: untrusted input, not necessarily NUL-terminated
 * @length: bytes of @text
 * @language: (nullable): the language of the error message
 *
 * Returns: %FALSE with a #MsCalcError: syntax errors name the 1-based character
 * position, input over %MS_EXPRESSION_MAX_LENGTH bytes or nesting deeper than
 * %MS_EXPRESSION_MAX_DEPTH is refused before any deep work.
 */
gboolean
ms_expression_evaluate(const char *text,
		       gsize length,
		       const char *language,
		       double *result,
		       GError **error)
{
	Parser p = { text, length, 0, 0, language, error };
	double value = 0;

	if (length > MS_EXPRESSION_MAX_LENGTH) {
		calc_error_set(error,
			       MS_CALC_ERROR_TOO_LONG,
			       language,
			       N_("the expression is longer than %u bytes"),
			       (guint)MS_EXPRESSION_MAX_LENGTH);
		return FALSE;
	}
	skip_space(&p);
	if (p.pos == length) {
		calc_error_set(error,
			       MS_CALC_ERROR_SYNTAX,
			       language,
			       N_("the expression is empty"));
		return FALSE;
	}
	if (!parse_sum(&p, &value))
		return FALSE;
	skip_space(&p);
	if (p.pos < length)
		return syntax_error_unexpected(&p);
	*result = value;
	return TRUE;
}

/**
 * ms_number_format:
 *
 * Writes @value as a JSON number, and as an operand the parser reads back exactly:
 * exact integers without a fraction, everything else in the fewest digits that
 * round-trip.
 *
 * Returns: (transfer full): the text
 */
char *
ms_number_format(double value)
{
	char buffer[G_ASCII_DTOSTR_BUF_SIZE];

	g_return_val_if_fail(isfinite(value), g_strdup("0"));
	if (value == 0)
		return g_strdup("0");
	if (value == floor(value) && fabs(value) <= 9007199254740992.0)
		return g_strdup_printf("%" G_GINT64_FORMAT, (gint64)value);
	for (int precision = 1; precision <= 17; precision++) {
		char format[8];
		g_snprintf(format, sizeof format, "%%.%dg", precision);
		g_ascii_formatd(buffer, sizeof buffer, format, value);
		if (g_ascii_strtod(buffer, NULL) == value)
			break;
	}
	return g_strdup(buffer);
}
