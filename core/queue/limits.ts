/**
 * The size limit of one task's data (and of a result), as JSON text. In a module of its own, with
 * no imports, because every worker process loads it: pulling in the config schema (zod) there
 * would add hundreds of milliseconds to each worker start and to each respawn after a crash.
 */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;
