#ifndef SWIFTKD_CUNICORN_SHIM_H
#define SWIFTKD_CUNICORN_SHIM_H
#include <unicorn/unicorn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
// uc_hook_add and uc_ctl are variadic and the uc_ctl_* helpers are macros: wrap them here.
// Sizes are size_t in Unicorn 2.0.x and uint64_t in 2.1.x: every size crosses this shim as uint64_t.

typedef void (*skd_intr_cb)(uc_engine *uc, uint32_t intno, void *user);
typedef void (*skd_code_cb)(uc_engine *uc, uint64_t address, uint32_t size, void *user);
typedef bool (*skd_mem_invalid_cb)(uc_engine *uc, uc_mem_type type, uint64_t address, int size,
                                   int64_t value, void *user);
typedef bool (*skd_insn_invalid_cb)(uc_engine *uc, void *user);

static inline uc_err skd_hook_intr(uc_engine *uc, uc_hook *hh, skd_intr_cb cb, void *user) {
  return uc_hook_add(uc, hh, UC_HOOK_INTR, (void *)cb, user, 1, 0);
}
static inline uc_err skd_hook_code(uc_engine *uc, uc_hook *hh, skd_code_cb cb, void *user,
                                   uint64_t begin, uint64_t end) {
  return uc_hook_add(uc, hh, UC_HOOK_CODE, (void *)cb, user, begin, end);
}
typedef void (*skd_mem_cb)(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value,
                           void *user);
// Reads and writes by guest instructions within [begin, end] (inclusive), for data breakpoints.
static inline uc_err skd_hook_mem_access(uc_engine *uc, uc_hook *hh, skd_mem_cb cb, void *user, uint64_t begin,
                                         uint64_t end) {
  return uc_hook_add(uc, hh, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, (void *)cb, user, begin, end);
}
static inline uc_err skd_hook_mem_invalid(uc_engine *uc, uc_hook *hh, skd_mem_invalid_cb cb, void *user) {
  return uc_hook_add(uc, hh, UC_HOOK_MEM_INVALID, (void *)cb, user, 1, 0);
}
static inline uc_err skd_hook_insn_invalid(uc_engine *uc, uc_hook *hh, skd_insn_invalid_cb cb, void *user) {
  return uc_hook_add(uc, hh, UC_HOOK_INSN_INVALID, (void *)cb, user, 1, 0);
}
static inline bool skd_never_cb(uc_engine *uc, uc_mem_type t, uint64_t a, int s, int64_t v, void *u) {
  (void)uc; (void)t; (void)a; (void)s; (void)v; (void)u;
  return false;
}
// A data hook over one address nothing uses: with any such hook, Unicorn 2.0.1 keeps EIP exact at
// faulting loads and stores (without one EIP reads back as the start of the translated block).
static inline uc_err skd_hook_mem_sync(uc_engine *uc, uc_hook *hh, uint64_t address) {
  return uc_hook_add(uc, hh, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, (void *)skd_never_cb, NULL, address, address);
}
static inline uc_err skd_remove_cache(uc_engine *uc, uint64_t begin, uint64_t end) {
  return uc_ctl_remove_cache(uc, begin, end);
}
static inline uc_err skd_mem_map(uc_engine *uc, uint64_t address, uint64_t size, uint32_t perms) {
  return uc_mem_map(uc, address, (size_t)size, perms);
}
static inline uc_err skd_mem_map_ptr(uc_engine *uc, uint64_t address, uint64_t size, uint32_t perms, void *ptr) {
  return uc_mem_map_ptr(uc, address, (size_t)size, perms, ptr);
}
static inline uc_err skd_mem_read(uc_engine *uc, uint64_t address, void *bytes, uint64_t size) {
  return uc_mem_read(uc, address, bytes, (size_t)size);
}
static inline uc_err skd_mem_write(uc_engine *uc, uint64_t address, const void *bytes, uint64_t size) {
  return uc_mem_write(uc, address, bytes, (size_t)size);
}

// Unicorn 2.0.1's translator calls abort() (tcg_abort: "tcg fatal error") on some encodings guest code can
// hold, e.g. ff /3 and ff /5 with a register operand (fixed upstream in 2.1.0). skd_guarded_emu_start runs
// uc_emu_start with an escape armed for this thread: a SIGABRT raised while it is armed siglongjmps back and
// the call reports *aborted; the engine is then half way through a translation and must not run again.
// Hooks disarm it while Swift code runs (skd_guard_suspend/resume), so only Unicorn's own aborts are caught;
// any other SIGABRT goes to the handler that was installed before ours (or the default action). Glibc 2.36's
// abort() drops its lock before raising, so leaving its frame this way leaves no lock held.
// The state is static per object file: only Engine/Emulator.swift may call these.
static inline sigjmp_buf **skd_guard_slot(void) {
  static _Thread_local sigjmp_buf *armed;
  return &armed;
}
static inline struct sigaction *skd_guard_previous(void) {
  static struct sigaction previous;
  return &previous;
}
static inline void skd_guard_on_abort(int sig, siginfo_t *info, void *context) {
  sigjmp_buf *escape = *skd_guard_slot();
  if (escape) {
    *skd_guard_slot() = NULL;
    siglongjmp(*escape, 1);
  }
  struct sigaction *previous = skd_guard_previous();
  if (previous->sa_flags & SA_SIGINFO) {
    if (previous->sa_sigaction) {
      previous->sa_sigaction(sig, info, context);
      return;
    }
  } else if (previous->sa_handler != SIG_DFL && previous->sa_handler != SIG_IGN) {
    previous->sa_handler(sig);
    return;
  }
  sigaction(SIGABRT, previous, NULL);  // the default action, once this handler returns
  raise(SIGABRT);
}
static inline void skd_guard_install(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = skd_guard_on_abort;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  sigaction(SIGABRT, &action, skd_guard_previous());
}
static inline sigjmp_buf *skd_guard_suspend(void) {
  sigjmp_buf *armed = *skd_guard_slot();
  *skd_guard_slot() = NULL;
  return armed;
}
static inline void skd_guard_resume(sigjmp_buf *armed) { *skd_guard_slot() = armed; }
// No timeout and no count (Unicorn would start a timer thread or add a hook). sigsetjmp does not save the
// signal mask (no system call per run): after an escape SIGABRT is unblocked by hand.
__attribute__((noinline)) static inline uc_err skd_guarded_emu_start(uc_engine *uc, uint64_t begin,
                                                                     uint64_t until, bool *aborted) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, skd_guard_install);
  sigjmp_buf escape;
  *aborted = false;
  if (sigsetjmp(escape, 0) != 0) {
    sigset_t abrt;
    sigemptyset(&abrt);
    sigaddset(&abrt, SIGABRT);
    pthread_sigmask(SIG_UNBLOCK, &abrt, NULL);
    *aborted = true;
    return UC_ERR_EXCEPTION;
  }
  *skd_guard_slot() = &escape;
  uc_err err = uc_emu_start(uc, begin, until, 0, 0);
  *skd_guard_slot() = NULL;
  return err;
}

// The ten registers a thread switch moves, in this order:
// eax ebx ecx edx esi edi ebp esp eip eflags.
static inline uc_err skd_read_gprs(uc_engine *uc, uint32_t out[10]) {
  int regs[10] = {UC_X86_REG_EAX, UC_X86_REG_EBX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_ESI,
                  UC_X86_REG_EDI, UC_X86_REG_EBP, UC_X86_REG_ESP, UC_X86_REG_EIP, UC_X86_REG_EFLAGS};
  void *ptrs[10];
  for (int i = 0; i < 10; i++) { out[i] = 0; ptrs[i] = &out[i]; }
  return uc_reg_read_batch(uc, regs, ptrs, 10);
}
static inline uc_err skd_write_gprs(uc_engine *uc, const uint32_t in[10]) {
  int regs[10] = {UC_X86_REG_EAX, UC_X86_REG_EBX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_ESI,
                  UC_X86_REG_EDI, UC_X86_REG_EBP, UC_X86_REG_ESP, UC_X86_REG_EIP, UC_X86_REG_EFLAGS};
  void *const ptrs[10] = {(void *)&in[0], (void *)&in[1], (void *)&in[2], (void *)&in[3], (void *)&in[4],
                          (void *)&in[5], (void *)&in[6], (void *)&in[7], (void *)&in[8], (void *)&in[9]};
  return uc_reg_write_batch(uc, (int *)regs, ptrs, 10);
}
static inline uint32_t skd_reg_read32(uc_engine *uc, int reg) {
  uint32_t v = 0;
  uc_reg_read(uc, reg, &v);
  return v;
}
static inline uc_err skd_reg_write32(uc_engine *uc, int reg, uint32_t v) {
  return uc_reg_write(uc, reg, &v);
}
#endif
