/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Arithmetic for the calculator: a recursive-descent parser and evaluator of
 * expressions, the four binary operations, and how results are written. Pure: no
 * I/O, no libsoup, bounded in input length and nesting depth.
 */

#define MS_EXPRESSION_MAX_LENGTH 4096 /* bytes */
#define MS_EXPRESSION_MAX_DEPTH  64   /* parentheses, unary signs and ^ chains */

#define MS_CALC_ERROR (ms_calc_error_quark())

typedef enum {
	MS_CALC_ERROR_SYNTAX,           /* 400: the message names the character position */
	MS_CALC_ERROR_TOO_LONG,         /* 400 */
	MS_CALC_ERROR_TOO_DEEP,         /* 400 */
	MS_CALC_ERROR_DIVISION_BY_ZERO, /* 422 */
	MS_CALC_ERROR_OVERFLOW,         /* 422 */
	MS_CALC_ERROR_NON_FINITE,       /* 422 */
} MsCalcError;

typedef enum {
	MS_CALC_OPERATION_ADD,
	MS_CALC_OPERATION_SUB,
	MS_CALC_OPERATION_MUL,
	MS_CALC_OPERATION_DIV,
	MS_CALC_OPERATION_MOD,
	MS_CALC_OPERATION_POW,
} MsCalcOperation;

GQuark
ms_calc_error_quark(void);
gboolean
ms_calc_operation_from_name(const char *name, MsCalcOperation *operation);
const char *
ms_calc_operation_to_name(MsCalcOperation operation);
const char *
ms_calc_operation_to_symbol(MsCalcOperation operation);
gboolean
ms_calc_apply(MsCalcOperation operation,
	      double a,
	      double b,
	      const char *language,
	      double *result,
	      GError **error);
gboolean
ms_expression_evaluate(const char *text,
		       gsize length,
		       const char *language,
		       double *result,
		       GError **error);
char *
ms_number_format(double value);

G_END_DECLS
