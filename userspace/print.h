/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One output path for text and JSON, in the spirit of iproute2's print_*:
 * a view calls these once per value, and each says whether the value is
 * for the text (PR_TEXT), the JSON (PR_JSON) or both (PR_ANY).
 */
#ifndef VALLEY_USER_PRINT_H
#define VALLEY_USER_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"

enum pr_mode { PR_TEXT = 1, PR_JSON = 2, PR_ANY = 3 };

/* How pr_col() writes text: a table's row, its header, a record in full. */
enum pr_layout { PR_COLS, PR_HEAD, PR_LINES };

struct pr {
	FILE *out;
	bool json;
	struct json j;
	enum pr_layout layout;	/* PR_COLS unless the view sets it */
	int cols;		/* pr_col()s on this line of text */
	double per;		/* pr_col_count()'s rates: over PER s, or 0 */
};

void pr_init(struct pr *p, FILE *out, bool json);
/* Ends the document: JSON's closing newline, a flush; the next begins. */
void pr_end(struct pr *p);

/* JSON arrays and objects (KEY NULL in an array); text prints TEXT, if any. */
void pr_list_open(struct pr *p, const char *key);
void pr_list_close(struct pr *p);
void pr_obj_open(struct pr *p, int mode, const char *key, const char *text);
void pr_obj_close(struct pr *p, int mode, const char *text);

/*
 * One record: a JSON object in the enclosing list, a line of text (in
 * PR_LINES, the record's lines end themselves).
 */
void pr_row_open(struct pr *p);
void pr_row_close(struct pr *p);

/*
 * A value: "KEY": VAL in JSON, printf(FMT, VAL) in text (FMT NULL: the
 * value alone).
 */
void pr_str(struct pr *p, int mode, const char *key, const char *fmt,
	    const char *val);
void pr_u64(struct pr *p, int mode, const char *key, const char *fmt,
	    uint64_t val);
void pr_f64(struct pr *p, int mode, const char *key, const char *fmt,
	    double val);
void pr_bool(struct pr *p, int mode, const char *key, const char *fmt,
	     bool val);

/* Text only: printf(FMT, ...); nothing in JSON. */
void pr_text(struct pr *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A text column WIDTH wide (negative: aligned right), then a space; in
 * JSON "KEY": VAL, or nothing when KEY is NULL.
 */
void pr_cell(struct pr *p, const char *key, int width, const char *val);
void pr_cell_u64(struct pr *p, const char *key, int width, uint64_t val);

/*
 * A value of a table whose header comes from the rows' own calls.  Its
 * text, by p->layout: a column WIDTH wide (negative: aligned left), a
 * space after the line's one before; the column's title, KEY in capitals
 * with '-' for '_'; a line of a record in full, "  KEY" then VAL in the
 * record's column of values.  WIDTH 0: no column, only the line.  In
 * JSON "KEY": VAL.
 */
void pr_col(struct pr *p, const char *key, int width, const char *val);
void pr_col_u64(struct pr *p, const char *key, int width, uint64_t val);
/*
 * A counter, as pr_col_u64(); with p->per set, a change over PER seconds
 * shown as a rate per second: "%.1f" in a column, "%.1f/s" in a line,
 * rounded to a whole number in JSON.
 */
void pr_col_count(struct pr *p, const char *key, int width, uint64_t val);
/*
 * A line under a heading of a record in full, "    LABEL" then VAL in
 * the record's column of values; in JSON "KEY": VAL.
 */
void pr_line_u64(struct pr *p, int mode, const char *key, const char *label,
		 uint64_t val);

#endif
