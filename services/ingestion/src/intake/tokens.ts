export const INGEST_SETTINGS = Symbol('INGEST_SETTINGS');
/** The transactional producer of the raw-topic consumer (exactly-once output). */
export const RAW_TRANSACTIONS = Symbol('RAW_TRANSACTIONS');
