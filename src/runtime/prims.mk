# src/runtime: synchronisation primitives (lock, semaphore, event, condition, queue).
