#ifndef SWIFTKD_CUNICORN_SHIM_H
#define SWIFTKD_CUNICORN_SHIM_H
#include <unicorn/unicorn.h>
// uc_hook_add and uc_ctl are variadic and the uc_ctl_* helpers are macros: wrap them here.
#endif
