/* Faulty.sys: routines that fault after a short while, one per kind of kernel-mode fault.
   The scenario manifests start one of them as a thread. */
#include "../include/ntkd.h"

static volatile ULONG *volatile BadPointer = (ULONG *)0x00000010;
static volatile ULONG Zero;

NOINLINE VOID FaultyTouch(VOID) { *BadPointer = 0x1234; }
VOID NTAPI FaultyNullWrite(PVOID context) { SleepMs(100); FaultyTouch(); }
VOID NTAPI FaultyDivide(PVOID context) { SleepMs(100); DbgPrint("%u\n", 100 / Zero); }
VOID NTAPI FaultyInvalidOpcode(PVOID context) { SleepMs(100); __builtin_trap(); }
VOID NTAPI FaultyDoubleFree(PVOID context) {
  PVOID p = ExAllocatePoolWithTag(PagedPool, 64, 'ytlF');
  SleepMs(100);
  ExFreePool(p);
  ExFreePool(p);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) { return STATUS_SUCCESS; }

/* Spins without ever calling the kernel: only the watchdog's time slice takes the CPU away. */
volatile ULONG SpinCount;
VOID NTAPI FaultySpin(PVOID context) { for (;;) SpinCount++; }
