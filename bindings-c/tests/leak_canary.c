/* Leaks an error object on purpose: run.sh requires LeakSanitizer to report
   it, which proves the ASan runs would catch a leak in the library's objects. */
#include <stdio.h>

#include "oauthmail.h"

static void leak(void) {
    oauthmail_error *e = oauthmail_testing_error(OAUTHMAIL_ERROR_KIND_AUTH);
    printf("leaking %p\n", (void *)e);
}

int main(void) {
    leak();
    return 0;
}
