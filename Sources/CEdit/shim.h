#ifndef SWIFTKD_CEDIT_SHIM_H
#define SWIFTKD_CEDIT_SHIM_H
#include <stdio.h>
#include <editline/readline.h>
#endif
