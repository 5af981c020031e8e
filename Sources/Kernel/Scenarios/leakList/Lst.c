/* Lst.sys: two leaks under 'List'. ListAppend links a 72-byte node (64 bytes asked) at the head of a list
   nobody trims, twice a second: it grows, yet every node stays referenced from ListHead. ListDrop allocates a
   64-byte block (56 bytes asked) once a second and keeps no pointer to it: lost. A lookaside ring of 24
   buffers stays bounded. */
#include "../include/ntkd.h"

#define LIST_TAG 'tsiL'

typedef struct _LIST_NODE {
  struct _LIST_NODE *Next;
  ULONG Sequence;
  UCHAR Payload[56];
} LIST_NODE;

LIST_NODE *ListHead;
ULONG ListLength;
PVOID Lookaside[24];
ULONG LookasideCursor;

/* Leaks, referenced: the node is linked at the head and never unlinked. */
NOINLINE LIST_NODE *ListAppend(void) {
  LIST_NODE *node = (LIST_NODE *)ExAllocatePoolWithTag(PagedPool, sizeof(LIST_NODE), LIST_TAG);
  if (node) {
    node->Sequence = ++ListLength;
    node->Next = ListHead;
    ListHead = node;
  }
  return node;
}

/* Leaks, lost: 56 bytes asked, a 64-byte block, never freed, its address dropped by the caller. */
NOINLINE PVOID ListDrop(void) { return ExAllocatePoolWithTag(PagedPool, 56, LIST_TAG); }

/* Bounded: a ring of 24 buffers, each freed when its slot comes round again. */
NOINLINE PVOID ListLookaside(ULONG length) { return ExAllocatePoolWithTag(PagedPool, length, LIST_TAG); }

VOID NTAPI ListAppendWorker(PVOID context) {
  for (;;) {
    ListAppend();
    SleepMs(500);
  }
}

VOID NTAPI ListDropWorker(PVOID context) {
  for (;;) {
    ULONG *dropped = (ULONG *)ListDrop();
    if (dropped) dropped[0] = 0xd0;
    SleepMs(1000);
  }
}

VOID NTAPI ListLookasideWorker(PVOID context) {
  for (;;) {
    ULONG slot = LookasideCursor++ % 24;
    if (Lookaside[slot]) ExFreePool(Lookaside[slot]);
    Lookaside[slot] = ListLookaside(RandomBetween(32, 600));
    SleepMs(30);
  }
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  StartThread(ListAppendWorker, NULL);
  StartThread(ListDropWorker, NULL);
  StartThread(ListLookasideWorker, NULL);
  return STATUS_SUCCESS;
}
