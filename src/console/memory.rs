//! How the process's memory is allocated (measured at 10k pods: docs/ARCHITECTURE.md, "Lean
//! cache").
//!
//! * One malloc arena. glibc gives each thread that allocates an arena of its own (up to 8
//!   per core); the watchers deserialize their lists on tokio's workers, so each worker's
//!   arena grew to a list's size and kept it: 126 MB resident at 10k pods, 87 MB with one
//!   arena, for the same objects. glibc's per-thread cache still serves small allocations
//!   without taking the arena's lock.
//! * A fixed mmap threshold. glibc raises it each time a large block is freed (up to 32 MB),
//!   after which list pages and the `Vec`s of a fresh list are carved from the heap and can
//!   pin its top; fixed, they are mapped and given back when freed.
//!
//! `malloc_trim` was measured too (after each draw that followed 1,000 listed objects): with
//! one arena and lists in pages of 100 (`cluster::watch::LIST_PAGE_SIZE`) it gave back under
//! 1 MB at 1k and at 10k pods, the free space being scattered in small chunks, so it is not
//! called.

/// Blocks of this size and more are mapped, not carved from the heap.
const MMAP_THRESHOLD: i32 = 128 * 1024;

/// Sets the allocator up for a long-running process holding a large cache. Call before any
/// other thread starts: a thread keeps the arena it first allocated in.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
