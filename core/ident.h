/* ident.h — validation and masking of Chinese identifiers: the resident ID-card number
 * (GB 11643-1999) and the unified social credit code of an organisation (GB 32100-2015). */
#ifndef WELDREG_CORE_IDENT_H
#define WELDREG_CORE_IDENT_H

#include <stddef.h>

#include "core/status.h"

#define IDENT_IDCARD_LEN 18
#define IDENT_USCC_LEN   18
/* Bytes needed for a masked ID-card number and its NUL. */
#define IDENT_IDCARD_MASK_SIZE (IDENT_IDCARD_LEN + 1)

/* Checks an ID-card number: @p len must be 18, the first 17 characters digits, characters 7-14
 * a real birth date YYYYMMDD (year 1800 or later), and the last one the ISO 7064 MOD 11-2 check
 * character ('0'-'9' or an upper-case 'X'). @p text need not be NUL-terminated.
 * Returns WR_OK, or WR_EINVAL with a lower-case message for the person in @p why (if @p why is
 * not NULL and @p whylen > 0). The message never contains the number or any part of it. */
wr_status ident_idcard_check(const char *text, size_t len, char *why, size_t whylen);

/* Writes the masked form of an ID-card number to @p out: the first 4 characters (province and
 * prefecture), ten '*' and the last 4 (the end of the sequence number and the check character),
 * e.g. "4101**********1234". Birth date and county are hidden; this is the only form that may
 * be printed, logged or shown. @p text must have the form of an ID-card number (18 characters,
 * digits with an optional final 'X'); the check digit is not verified here.
 * Returns WR_OK, WR_EINVAL if @p text does not have that form, or WR_ESPACE if @p outlen is
 * smaller than IDENT_IDCARD_MASK_SIZE. On failure @p out (if @p outlen > 0) holds "". */
wr_status ident_idcard_mask(const char *text, size_t len, char *out, size_t outlen);

/* Checks a unified social credit code: @p len must be 18, every character from the alphabet
 * 0-9 A-H J-N P-R T-U W-Y (upper case), characters 3-8 (the administrative division) digits,
 * and the last one the GB 32100 check character (weights 3^i mod 31, modulus 31).
 * Returns WR_OK, or WR_EINVAL with a message in @p why as for ident_idcard_check(). */
wr_status ident_uscc_check(const char *text, size_t len, char *why, size_t whylen);

/* The check character a valid code would have, computed over the first 17 characters of
 * @p text (which must be from the alphabet), or '\0' if one of them is not. For tools and tests. */
char ident_uscc_check_char(const char *text);

/* The check character of an ID-card number over its first 17 digits, or '\0' if one of them is
 * not a digit. For tools and tests. */
char ident_idcard_check_char(const char *text);

#endif
