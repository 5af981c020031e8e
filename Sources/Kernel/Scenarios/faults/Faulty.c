/* Faulty.sys: routines that fault after a short while, one per kind of kernel-mode fault.
   The scenario manifests start one of them as a thread. */
#include "../include/ntkd.h"

volatile ULONG *volatile BadPointer = (ULONG *)0x00000010;
volatile ULONG Zero;

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

/* Gives up on purpose, the way drivers do: KeBugCheckEx(0xE2 MANUALLY_INITIATED_CRASH, ...). */
VOID NTAPI FaultyBugCheck(PVOID context) { SleepMs(100); KeBugCheckEx(0xE2, 1, 2, 3, 4); }

/* Calls a kernel service wrongly, one way per context value; tests start it with the context of the case
   (docs/KERNEL.md, "What the services check"). Each ends in a bug check, or returns and says what it got. */
#define FLTY_TAG 'ytlF'
VOID NTAPI FaultyBadCall(PVOID context) {
  ULONG which = (ULONG)context;
  LARGE_INTEGER forever = -0x7fffffffffffffffLL;  /* relative: ~29,000 years */
  LARGE_INTEGER never = 0x7fffffffffffffffLL;     /* absolute: the end of time */
  UCHAR *p = 0;
  HANDLE h;
  SleepMs(10);
  switch (which) {
  case 1: KeDelayExecutionThread(KernelMode, FALSE, &forever); break;
  case 2: KeDelayExecutionThread(KernelMode, FALSE, &never); break;
  case 3: KeDelayExecutionThread(KernelMode, FALSE, (PLARGE_INTEGER)0x20); break;
  case 4: ExFreePool((PVOID)0x00010000); break;                       /* a user-mode address */
  case 5: ExFreePool((PVOID)0x804da000); break;                       /* nt's globals: in no pool */
  case 6: p = ExAllocatePoolWithTag(PagedPool, 64, FLTY_TAG); ExFreePoolWithTag(p, 'gnrW'); break;
  case 7: p = ExAllocatePoolWithTag(PagedPool, 64, FLTY_TAG); ExFreePool(p + 4); break;
  case 8: /* overruns its block into the next header, then frees it */
    p = ExAllocatePoolWithTag(NonPagedPool, 64, FLTY_TAG);
    ExAllocatePoolWithTag(NonPagedPool, 64, FLTY_TAG);
    for (ULONG i = 0; i < 72; i++) p[i] = 0x41;
    ExFreePool(p);
    break;
  case 9: p = ExAllocatePoolWithTag(PagedPool, 8192, FLTY_TAG); ExFreePool(p); ExFreePool(p); break;
  case 10: p = ExAllocatePoolWithTag(NonPagedPool, 8192, FLTY_TAG); ExFreePool(p); ExFreePool(p); break;
  case 11: ExAllocatePoolWithTag(2 /* NonPagedPoolMustSucceed */, 16, FLTY_TAG); break;
  case 12: KeQuerySystemTime((PLARGE_INTEGER)0x30); break;
  case 13: RtlRandomEx((PULONG)0x40); break;
  case 14: PsCreateSystemThread((PHANDLE)0x50, 0, NULL, NULL, NULL, FaultySpin, NULL); break;
  case 15: DbgPrint("FaultyBadCall: %x\n", DbgPrint((const char *)0x60)); break;
  case 16: DbgPrint("FaultyBadCall: %p\n", ExAllocatePoolWithTag(PagedPool, 0xffffffff, FLTY_TAG)); break;
  case 17: /* a header whose BlockSize is zero */
    p = ExAllocatePoolWithTag(PagedPool, 64, FLTY_TAG);
    p[-6] = 0; p[-5] &= 0xfe;
    ExFreePool(p);
    break;
  }
  DbgPrint("FaultyBadCall %u returned\n", which);
}

/* Overruns a paged block by one byte into the next block's header, the low byte of its PreviousSize (9 units:
   the 72-byte block before it), and waits there: the broken header stays in the page for !pool and !poolval to
   find (freeing either block would bug-check). FaultyOverrun holds the overrun block. */
UCHAR *FaultyOverrun;
VOID NTAPI FaultyCorruptHeader(PVOID context) {
  UCHAR *p = ExAllocatePoolWithTag(PagedPool, 64, FLTY_TAG);
  ExAllocatePoolWithTag(PagedPool, 64, FLTY_TAG);
  FaultyOverrun = p;
  p[64] = 0x41;
  for (;;) SleepMs(1000);
}
