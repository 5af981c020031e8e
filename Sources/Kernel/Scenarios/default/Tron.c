/* Tron.sys: large paged buffers (whole pages, big-page table), filled up to a cap, then replaced. */
#include "../include/ntkd.h"

#define TRON_TAG 'norT'
PVOID Buffers[70];
ULONG Count;

NOINLINE VOID TronRefresh(VOID) {
  ULONG slot = Count < 70 ? Count++ : RandomBetween(0, 69);
  if (Buffers[slot]) ExFreePoolWithTag(Buffers[slot], TRON_TAG);
  Buffers[slot] = ExAllocatePoolWithTag(PagedPool, RandomBetween(8192, 20480), TRON_TAG);
}

VOID NTAPI TronWorker(PVOID context) {
  for (;;) {
    TronRefresh();
    SleepMs(Count < 70 ? 2000 : 500);
  }
}

VOID NTAPI TronUnload(PDRIVER_OBJECT DriverObject);

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  DriverObject->DriverUnload = TronUnload;
  StartThread(TronWorker, NULL);
  return STATUS_SUCCESS;
}

/* Unload (`.unload Tron.sys`): every buffer goes back, so Tron unloads cleanly, verified or not. */
VOID NTAPI TronUnload(PDRIVER_OBJECT DriverObject) {
  ULONG i;
  for (i = 0; i < 70; i++) {
    if (Buffers[i]) ExFreePoolWithTag(Buffers[i], TRON_TAG);
    Buffers[i] = NULL;
  }
}
