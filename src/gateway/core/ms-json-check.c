/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/core/ms-json-check.h"

#include <string.h>

/*
 * Whether some bytes are one JSON text as RFC 8259 defines it, without building
 * anything from them: the aggregation passes a part's body on as it came, and
 * must know first that it is JSON. json-glib cannot say so: its parser takes
 * more than JSON (single quotes, comments, "01", "0x10", a "var x =" before the
 * value, a second value after the first) and recurses once per nesting level.
 *
 * One pass, no allocation, no recursion: the open objects and arrays are a byte
 * each in a bounded stack, and only the non-ASCII bytes of strings are handed to
 * GLib's UTF-8 check.
 */

typedef struct {
	const guchar *p;
	const guchar *end;
	guint depth;
	guint8 in_object[MS_JSON_CHECK_MAX_DEPTH]; /* per open level: TRUE for an object */
} Scan;

/*
 * The loops over runs of bytes below work on a local pointer: s->p is stored
 * once at the end, not on every byte (a byte read could alias it otherwise).
 */

/* RFC 8259 §2: ws = *( %x20 / %x09 / %x0A / %x0D ) */
static void
skip_space(Scan *s)
{
	const guchar *p = s->p;

	while (p < s->end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	s->p = p;
}

static gboolean
next_is(Scan *s, guchar c)
{
	return s->p < s->end && *s->p == c;
}

/* the byte @c, after any whitespace */
static gboolean
expect(Scan *s, guchar c)
{
	skip_space(s);
	if (!next_is(s, c))
		return FALSE;
	s->p++;
	return TRUE;
}

static gboolean
scan_hex4(Scan *s, guint *unit)
{
	if (s->end - s->p < 4)
		return FALSE;
	*unit = 0;
	for (guint i = 0; i < 4; i++) {
		gint digit = g_ascii_xdigit_value(s->p[i]);

		if (digit < 0)
			return FALSE;
		*unit = *unit * 16 + (guint)digit;
	}
	s->p += 4;
	return TRUE;
}

/*
 * RFC 8259 §7, after the backslash. A \u escape of a UTF-16 surrogate must be
 * a high one followed by a low one: a lone surrogate names no character
 * (§8.2), and no UTF-8 can hold it.
 */
static gboolean
scan_escape(Scan *s)
{
	guint unit;
	guint low;

	if (s->p == s->end)
		return FALSE;
	switch (*s->p++) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		return TRUE;
	case 'u':
		break;
	default:
		return FALSE;
	}
	if (!scan_hex4(s, &unit) || (unit >= 0xdc00 && unit <= 0xdfff))
		return FALSE;
	if (unit < 0xd800 || unit > 0xdbff)
		return TRUE;
	if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
		return FALSE;
	s->p += 2;
	return scan_hex4(s, &low) && low >= 0xdc00 && low <= 0xdfff;
}

/* the bytes a string holds as they are: ASCII but the controls, the quote and the backslash */
static const guint8 string_plain[256] = {
	[0x20 ... 0x21] = TRUE,
	[0x23 ... 0x5b] = TRUE,
	[0x5d ... 0x7f] = TRUE,
};

/*
 * RFC 8259 §8.1, at a byte over 0x7f in a string: the run of such bytes must be
 * whole UTF-8 characters, as every byte of a multibyte character is over 0x7f
 * and no other is. Outside strings the grammar has no place for such a byte.
 */
static gboolean
scan_utf8(Scan *s)
{
	const guchar *start = s->p;
	const guchar *p = start;

	while (p < s->end && (*p & 0x80) != 0)
		p++;
	s->p = p;
	return g_utf8_validate_len((const char *)start, p - start, NULL);
}

/* RFC 8259 §7, at the opening quote */
static gboolean
scan_string(Scan *s)
{
	s->p++;
	for (;;) {
		const guchar *p = s->p;

		/* most of a string: one lookup a byte */
		while (p < s->end && string_plain[*p])
			p++;
		s->p = p;
		if (s->p == s->end)
			return FALSE;
		if (*s->p == '"') {
			s->p++;
			return TRUE;
		}
		if (*s->p == '\\') {
			s->p++;
			if (!scan_escape(s))
				return FALSE;
		} else if (*s->p > 0x7f) {
			if (!scan_utf8(s))
				return FALSE;
		} else {
			return FALSE; /* a control character: \u00XX in JSON */
		}
	}
}

/* 1*DIGIT */
static gboolean
scan_digits(Scan *s)
{
	const guchar *start = s->p;
	const guchar *p = start;

	while (p < s->end && g_ascii_isdigit(*p))
		p++;
	s->p = p;
	return p > start;
}

/*
 * RFC 8259 §6:
 *   [ "-" ] ( "0" / %x31-39 *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "+" / "-" ] 1*DIGIT ]
 * A digit after a leading zero is left for the caller, to whom it is no
 * separator: "01" fails there.
 */
static gboolean
scan_number(Scan *s)
{
	if (next_is(s, '-'))
		s->p++;
	if (next_is(s, '0'))
		s->p++;
	else if (!scan_digits(s))
		return FALSE;
	if (next_is(s, '.')) {
		s->p++;
		if (!scan_digits(s))
			return FALSE;
	}
	if (next_is(s, 'e') || next_is(s, 'E')) {
		s->p++;
		if (next_is(s, '+') || next_is(s, '-'))
			s->p++;
		if (!scan_digits(s))
			return FALSE;
	}
	return TRUE;
}

static gboolean
scan_literal(Scan *s, const char *word)
{
	gsize length = strlen(word);

	if ((gsize)(s->end - s->p) < length || memcmp(s->p, word, length) != 0)
		return FALSE;
	s->p += length;
	return TRUE;
}

/* an object's member name and its colon: what comes before each of its values */
static gboolean
scan_member_name(Scan *s)
{
	skip_space(s);
	return next_is(s, '"') && scan_string(s) && expect(s, ':');
}

typedef enum {
	VALUE_FAILED,
	VALUE_OPENED, /* an object or an array began: its first value is due */
	VALUE_DONE,   /* a whole value, an empty object or array included */
} ValueStep;

/* at '{' or '[' */
static ValueStep
scan_open(Scan *s)
{
	gboolean object = *s->p++ == '{';

	if (s->depth == MS_JSON_CHECK_MAX_DEPTH)
		return VALUE_FAILED;
	if (expect(s, object ? '}' : ']'))
		return VALUE_DONE;
	s->in_object[s->depth++] = object;
	return !object || scan_member_name(s) ? VALUE_OPENED : VALUE_FAILED;
}

static ValueStep
scan_value(Scan *s)
{
	skip_space(s);
	if (s->p == s->end)
		return VALUE_FAILED;
	switch (*s->p) {
	case '{':
	case '[':
		return scan_open(s);
	case '"':
		return scan_string(s) ? VALUE_DONE : VALUE_FAILED;
	case 't':
		return scan_literal(s, "true") ? VALUE_DONE : VALUE_FAILED;
	case 'f':
		return scan_literal(s, "false") ? VALUE_DONE : VALUE_FAILED;
	case 'n':
		return scan_literal(s, "null") ? VALUE_DONE : VALUE_FAILED;
	default:
		return scan_number(s) ? VALUE_DONE : VALUE_FAILED;
	}
}

typedef enum {
	AFTER_FAILED,
	AFTER_NEXT, /* a comma (and a member name): another value is due */
	AFTER_END,  /* the top value ended, and only whitespace followed */
} AfterStep;

/* after a whole value: the closing brackets it completes, then a comma or the end */
static AfterStep
scan_after_value(Scan *s)
{
	for (;;) {
		gboolean in_object;

		skip_space(s);
		if (s->depth == 0)
			return s->p == s->end ? AFTER_END : AFTER_FAILED;
		in_object = s->in_object[s->depth - 1];
		if (next_is(s, ',')) {
			s->p++;
			return !in_object || scan_member_name(s) ? AFTER_NEXT : AFTER_FAILED;
		}
		if (!next_is(s, in_object ? '}' : ']'))
			return AFTER_FAILED;
		s->p++;
		s->depth--;
	}
}

static MsJsonKind
kind_of(guchar first)
{
	switch (first) {
	case '{':
		return MS_JSON_KIND_OBJECT;
	case '[':
		return MS_JSON_KIND_ARRAY;
	case '"':
		return MS_JSON_KIND_STRING;
	case 't':
	case 'f':
	case 'n':
		return MS_JSON_KIND_LITERAL;
	default:
		return MS_JSON_KIND_NUMBER;
	}
}

/**
 * ms_json_check:
 * @data: (array length=length): the bytes, not nul-terminated
 *
 * Checks that @data is one JSON text (RFC 8259): one value, whitespace around
 * it, valid UTF-8 throughout, at most %MS_JSON_CHECK_MAX_DEPTH objects and
 * arrays deep. Linear in @length, whatever the bytes.
 *
 * Returns: the kind of the top value, or %MS_JSON_KIND_INVALID
 */
MsJsonKind
ms_json_check(const char *data, gsize length)
{
	Scan s;
	MsJsonKind kind;

	/* in_object[] is read only below depth, where it was written */
	s.p = (const guchar *)data;
	s.end = s.p + length;
	s.depth = 0;
	skip_space(&s);
	if (s.p == s.end)
		return MS_JSON_KIND_INVALID;
	kind = kind_of(*s.p);
	for (;;) {
		switch (scan_value(&s)) {
		case VALUE_FAILED:
			return MS_JSON_KIND_INVALID;
		case VALUE_OPENED:
			continue;
		case VALUE_DONE:
		default:
			break;
		}
		switch (scan_after_value(&s)) {
		case AFTER_NEXT:
			continue;
		case AFTER_END:
			return kind;
		case AFTER_FAILED:
		default:
			return MS_JSON_KIND_INVALID;
		}
	}
}
