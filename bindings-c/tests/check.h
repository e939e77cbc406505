/* Minimal test helpers shared by the C tests (C99, no dependencies). */
#ifndef OAUTHMAIL_CHECK_H
#define OAUTHMAIL_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oauthmail.h"

static int check_failures = 0;
static int check_passes = 0;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (cond) {                                                              \
            check_passes++;                                                      \
        } else {                                                                 \
            check_failures++;                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                        \
    } while (0)

/* Prints an error the way a C user would see it. */
static void print_error(const char *what, const oauthmail_error *err) {
    const char *code = oauthmail_error_code(err);
    const char *hint = oauthmail_error_hint(err);
    fprintf(stderr, "  %s: %s error%s%s: %s%s%s\n", what, oauthmail_error_kind_name(err), code ? " " : "",
            code ? code : "", oauthmail_error_message(err), hint ? " (hint: " : "", hint ? hint : "");
}

/* Expects success; frees and reports an error. Evaluates to 1 on success. */
static int expect_ok_at(oauthmail_error *err, const char *expr, const char *file, int line) {
    if (err == NULL) {
        check_passes++;
        return 1;
    }
    check_failures++;
    fprintf(stderr, "%s:%d: expected success: %s\n", file, line, expr);
    print_error("got", err);
    oauthmail_error_free(err);
    return 0;
}
#define EXPECT_OK(call) expect_ok_at((call), #call, __FILE__, __LINE__)

/* Expects an error of `kind` carrying a message; `code` (may be NULL) must
   equal the provider code when given; `want_hint` requires a hint. Frees the error. */
static void expect_error_at(oauthmail_error *err, oauthmail_error_kind kind, const char *code, int want_hint,
                            const char *expr, const char *file, int line) {
    int ok = err != NULL && oauthmail_error_get_kind(err) == kind && oauthmail_error_message(err) != NULL &&
             strlen(oauthmail_error_message(err)) > 0 &&
             (code == NULL || (oauthmail_error_code(err) && strcmp(oauthmail_error_code(err), code) == 0)) &&
             (!want_hint || oauthmail_error_hint(err) != NULL);
    if (ok) {
        check_passes++;
    } else {
        check_failures++;
        fprintf(stderr, "%s:%d: expected %s error%s%s%s: %s\n", file, line, oauthmail_error_kind_to_string(kind),
                code ? " " : "", code ? code : "", want_hint ? " with a hint" : "", expr);
        if (err) print_error("got", err); else fprintf(stderr, "  got success\n");
    }
    oauthmail_error_free(err);
}
#define EXPECT_ERROR(call, kind, code, want_hint) \
    expect_error_at((call), (kind), (code), (want_hint), #call, __FILE__, __LINE__)

/* A required environment variable; exits with a clear message when unset. */
static const char *need_env(const char *name) {
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        fprintf(stderr, "missing environment variable %s (run through bindings-c/tests/run.sh)\n", name);
        exit(2);
    }
    return v;
}

static int check_summary(const char *suite) {
    printf("%s: %d checks passed, %d failed\n", suite, check_passes, check_failures);
    return check_failures == 0 ? 0 : 1;
}

#endif
