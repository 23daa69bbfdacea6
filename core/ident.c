/* ident.c — check characters and date rules of GB 11643 ID-card numbers and GB 32100 codes. */
#include "core/ident.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ID-card weights are 2^(17-i) mod 11 for positions i = 0..16 (ISO 7064 MOD 11-2). */
static const int idcard_weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char idcard_check_chars[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};

/* GB 32100 alphabet: the value of a character is its index; I, O, S, V, Z are not used. */
static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int uscc_weights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                     29, 25, 13, 8,  24, 10, 30, 28};

static wr_status ident_fail(char *why, size_t whylen, const char *message)
{
    if (why && whylen > 0)
        (void)snprintf(why, whylen, "%s", message);
    return WR_EINVAL;
}

static bool ident_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int ident_digits(const char *p, size_t n)
{
    int value = 0;
    for (size_t i = 0; i < n; i++)
        value = value * 10 + (p[i] - '0');
    return value;
}

static int ident_days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* @p date points at 8 digits YYYYMMDD. */
static bool ident_date_is_real(const char *date)
{
    int year = ident_digits(date, 4);
    int month = ident_digits(date + 4, 2);
    int day = ident_digits(date + 6, 2);
    if (year < 1800 || month < 1 || month > 12)
        return false;
    return day >= 1 && day <= ident_days_in_month(year, month);
}

char ident_idcard_check_char(const char *text)
{
    int sum = 0;
    for (size_t i = 0; i < 17; i++) {
        if (!ident_is_digit(text[i]))
            return '\0';
        sum += (text[i] - '0') * idcard_weights[i];
    }
    return idcard_check_chars[sum % 11];
}

wr_status ident_idcard_check(const char *text, size_t len, char *why, size_t whylen)
{
    if (!text || len != IDENT_IDCARD_LEN)
        return ident_fail(why, whylen, "ID card number must be 18 characters long");
    for (size_t i = 0; i < 17; i++) {
        if (!ident_is_digit(text[i]))
            return ident_fail(why, whylen,
                              "ID card number must have digits in its first 17 places");
    }
    char last = text[17];
    if (!ident_is_digit(last) && last != 'X')
        return ident_fail(why, whylen,
                          "last character of ID card number must be a digit or an upper-case X");
    if (!ident_date_is_real(text + 6))
        return ident_fail(why, whylen, "birth date in ID card number is not a real date");
    if (ident_idcard_check_char(text) != last)
        return ident_fail(why, whylen, "check digit does not match");
    return WR_OK;
}

wr_status ident_idcard_mask(const char *text, size_t len, char *out, size_t outlen)
{
    if (out && outlen > 0)
        out[0] = '\0';
    if (!out || outlen < IDENT_IDCARD_MASK_SIZE)
        return WR_ESPACE;
    if (!text || len != IDENT_IDCARD_LEN)
        return WR_EINVAL;
    for (size_t i = 0; i < IDENT_IDCARD_LEN; i++) {
        bool last = i == IDENT_IDCARD_LEN - 1;
        if (!ident_is_digit(text[i]) && !(last && text[i] == 'X'))
            return WR_EINVAL;
    }
    memcpy(out, text, 4);
    memset(out + 4, '*', IDENT_IDCARD_LEN - 8);
    memcpy(out + IDENT_IDCARD_LEN - 4, text + IDENT_IDCARD_LEN - 4, 4);
    out[IDENT_IDCARD_LEN] = '\0';
    return WR_OK;
}

/* The value 0..30 of a code character, or -1 if it is not in the alphabet. */
static int ident_uscc_value(char c)
{
    if (c == '\0')
        return -1;
    const char *hit = strchr(uscc_alphabet, c);
    return hit ? (int)(hit - uscc_alphabet) : -1;
}

char ident_uscc_check_char(const char *text)
{
    int sum = 0;
    for (size_t i = 0; i < 17; i++) {
        int value = ident_uscc_value(text[i]);
        if (value < 0)
            return '\0';
        sum += value * uscc_weights[i];
    }
    return uscc_alphabet[(31 - sum % 31) % 31];
}

wr_status ident_uscc_check(const char *text, size_t len, char *why, size_t whylen)
{
    if (!text || len != IDENT_USCC_LEN)
        return ident_fail(why, whylen, "unified social credit code must be 18 characters long");
    for (size_t i = 0; i < IDENT_USCC_LEN; i++) {
        if (ident_uscc_value(text[i]) < 0)
            return ident_fail(why, whylen,
                              "unified social credit code may contain only digits and the "
                              "upper-case letters A-H, J-N, P-R, T-U, W-Y");
    }
    for (size_t i = 2; i < 8; i++) {
        if (!ident_is_digit(text[i]))
            return ident_fail(why, whylen,
                              "administrative division in unified social credit code must be "
                              "6 digits");
    }
    if (ident_uscc_check_char(text) != text[17])
        return ident_fail(why, whylen, "check character does not match");
    return WR_OK;
}
