/* Gla5.sys: one nonpaged context block for the driver's life, plus paged blocks in both pools' style. */
#include "../include/ntkd.h"

#define GLA5_TAG '5alG'
PVOID Context;
PVOID Blocks[280];
ULONG Count;

NOINLINE VOID Gla5Update(VOID) {
  ULONG slot = Count < 280 ? Count++ : RandomBetween(0, 279);
  if (Blocks[slot]) ExFreePoolWithTag(Blocks[slot], GLA5_TAG);
  Blocks[slot] = ExAllocatePoolWithTag(PagedPool, RandomBetween(200, 630), GLA5_TAG);
}

VOID NTAPI Gla5Worker(PVOID context) {
  for (;;) {
    Gla5Update();
    SleepMs(Count < 280 ? 600 : 300);
  }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  Context = ExAllocatePoolWithTag(NonPagedPool, 120, GLA5_TAG);
  StartThread(Gla5Worker, NULL);
  return STATUS_SUCCESS;
}
