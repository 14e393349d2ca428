/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "core/services/ms-expression.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

/*
 * The expression parser on arbitrary bytes: it must never crash, and whatever it
 * accepts must evaluate to a finite number that, written out, reads back the same.
 */
int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) reread_error = NULL;
	g_autofree char *text = NULL;
	double value = 0, reread = 0;

	if (!ms_expression_evaluate((const char *)data, size, NULL, &value, &error)) {
		/* the message becomes a problem detail: it must be UTF-8 */
		if (error == NULL || error->domain != MS_CALC_ERROR ||
		    !g_utf8_validate(error->message, -1, NULL))
			abort();
		return 0;
	}
	if (!isfinite(value))
		abort();
	text = ms_number_format(value);
	/* a negative result reads back through unary minus */
	if (!ms_expression_evaluate(text, strlen(text), NULL, &reread, &reread_error) ||
	    reread != value)
		abort();
	return 0;
}
