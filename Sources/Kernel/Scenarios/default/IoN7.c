/* IoN7.sys: many small paged blocks, growing to a steady working set. */
#include "../include/ntkd.h"

#define ION7_TAG '7NoI'
PVOID Blocks[1400];
ULONG Count;

NOINLINE VOID IoN7Churn(VOID) {
  ULONG slot = Count < 1400 ? Count++ : RandomBetween(0, 1399);
  if (Blocks[slot]) ExFreePoolWithTag(Blocks[slot], ION7_TAG);
  Blocks[slot] = ExAllocatePoolWithTag(PagedPool, RandomBetween(40, 140), ION7_TAG);
}

VOID NTAPI IoN7Worker(PVOID context) {
  for (;;) {
    IoN7Churn();
    SleepMs(Count < 1400 ? 130 : 50);
  }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  StartThread(IoN7Worker, NULL);
  return STATUS_SUCCESS;
}
