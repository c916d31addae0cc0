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

struct pr {
	FILE *out;
	bool json;
	struct json j;
};

void pr_init(struct pr *p, FILE *out, bool json);
/* Ends the document: JSON's closing newline, a flush. */
void pr_end(struct pr *p);

/* JSON arrays and objects (KEY NULL in an array); text prints TEXT, if any. */
void pr_list_open(struct pr *p, const char *key);
void pr_list_close(struct pr *p);
void pr_obj_open(struct pr *p, int mode, const char *key, const char *text);
void pr_obj_close(struct pr *p, int mode, const char *text);

/* One record: a JSON object in the enclosing list, a line of text. */
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

#endif
