#ifndef SWIFTKD_CCAPSTONE_SHIM_H
#define SWIFTKD_CCAPSTONE_SHIM_H
#include <capstone/capstone.h>
// Capstone's fixed char arrays import as huge tuples: accessors help.
static inline const char *kd_cs_mnemonic(const cs_insn *i) { return i->mnemonic; }
static inline const char *kd_cs_op_str(const cs_insn *i) { return i->op_str; }
#endif
