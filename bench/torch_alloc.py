"""Steady allocation for the PyTorch side of bench/compare's CPU runs.

PyTorch's CPU tensors come from glibc's malloc, which serves blocks of
128 KiB and up (growing its threshold as it goes) with mmap and gives them
back with munmap when freed. A training step frees and allocates every
activation and gradient, so each step can fault its pages in afresh; on
this project's virtual machines those faults made torch_cnn.py's step
flip between about 20 ms and about 95 ms from one step to the next, on
one thread as on two, with the same work. Kept memory (no trimming, a
32 MiB mmap threshold, glibc's largest) holds the step at the fast time,
as PyTorch's performance guide's advice of another allocator (jemalloc,
tcmalloc) would. torch_mlp6.py measured no change from it; both use it, so
that PyTorch's side runs as PyTorch is tuned to run.
"""
import ctypes
import ctypes.util

# mallopt's parameters (malloc.h).
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory():
    """Tells glibc's malloc to keep freed memory; returns what it did, for
    the script's header line."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        done = [libc.mallopt(M_MMAP_THRESHOLD, 32 << 20), libc.mallopt(M_TRIM_THRESHOLD, 1 << 30),
                libc.mallopt(M_TOP_PAD, 256 << 20)]
    except (OSError, AttributeError) as e:  # not glibc: the allocator stays as it is
        return f"as it is ({name}: {e})"
    if not all(done):
        return f"as it is (mallopt refused: {done})"
    return "glibc, freed memory kept (mallopt: mmap threshold 32 MiB, no trimming)"
