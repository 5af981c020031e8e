#ifndef SWIFTKD_CEDIT_SHIM_H
#define SWIFTKD_CEDIT_SHIM_H
#include <stdio.h>
#include <editline/readline.h>

/// readline reads keys through `getc_function` and installs no signal handlers of its own (the caller's SIGINT
/// handler sets a flag that `getc_function` sees).
static inline void swiftkd_readline_keys(int (*getc_function)(FILE *)) {
  rl_catch_signals = 0;
  rl_getc_function = getc_function;
}
#endif
