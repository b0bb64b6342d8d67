/** The exported tables and their columns (docs/tables.md is their documentation: keep both in step). */
import type { ColumnDef, ColumnType } from './raw-columns.js';

/**
 * A column with the default encoding: strings and lists dictionary-encoded without statistics, numbers,
 * times and booleans plain with min/max statistics per row group (what the row groups are pruned by).
 */
const col = (name: string, type: ColumnType, required = false): ColumnDef => ({ name, type, required });
/** Nearly distinct values in no order (sequence numbers, DATA_ACKs): plain, no statistics. */
const distinct = (name: string, type: ColumnType, required = false): ColumnDef => ({ name, type, required, encoding: 'plain', statistics: false });
/**
 * Values that mostly grow by small steps (packet numbers, times, DSNs): delta-encoded, several times smaller
 * and faster to write than plain; `statistics` for those a query filters on.
 */
const delta = (name: string, type: ColumnType, required: boolean, statistics: boolean): ColumnDef => ({ name, type, required, encoding: 'delta', statistics });
const key = [col('capture_id', 'VARCHAR', true)];

function direction(d: 'c2s' | 's2c'): ColumnDef[] {
  return [
    col(`${d}_bytes`, 'UBIGINT', true), col(`${d}_complete`, 'BOOLEAN', true), col(`${d}_sha256`, 'VARCHAR'),
    col(`${d}_missing_bytes`, 'UBIGINT', true), col(`${d}_missing_reasons`, 'VARCHAR[]', true), col(`${d}_data_fin`, 'BOOLEAN', true),
    col(`${d}_reinjected_bytes`, 'UBIGINT', true), col(`${d}_duplicate_bytes`, 'UBIGINT', true), col(`${d}_conflicting_bytes`, 'UBIGINT', true),
    col(`${d}_reordered_segments`, 'UBIGINT', true), col(`${d}_reorder_delay_samples`, 'UBIGINT', true),
    col(`${d}_reorder_delay_p50_ms`, 'DOUBLE', true), col(`${d}_reorder_delay_p95_ms`, 'DOUBLE', true), col(`${d}_reorder_delay_max_ms`, 'DOUBLE', true),
  ];
}

export const TABLES = {
  captures: [
    ...key, col('file', 'VARCHAR', true), col('path', 'VARCHAR', true), col('format', 'VARCHAR', true), col('size_bytes', 'UBIGINT', true),
    col('sha256', 'VARCHAR', true), col('packets', 'UBIGINT', true), col('tcp_packets', 'UBIGINT', true), col('mptcp_packets', 'UBIGINT', true),
    col('start', 'TIMESTAMP'), col('end', 'TIMESTAMP'), col('duration_s', 'DOUBLE', true), col('linktypes', 'INTEGER[]', true),
    col('truncated', 'BOOLEAN', true), col('tcp_connections', 'UBIGINT', true), col('plain_tcp_connections', 'UBIGINT', true),
    col('sessions', 'UINTEGER', true), col('unmatched_subflows', 'UINTEGER', true), col('findings', 'UINTEGER', true),
    col('tool_version', 'VARCHAR', true),
  ],
  sessions: [
    ...key, col('session', 'UINTEGER', true), col('version', 'UTINYINT', true), col('client', 'VARCHAR'), col('server', 'VARCHAR'),
    col('client_key', 'UBIGINT'), col('client_token', 'UINTEGER'), col('client_idsn', 'UBIGINT'),
    col('server_key', 'UBIGINT'), col('server_token', 'UINTEGER'), col('server_idsn', 'UBIGINT'),
    col('fallback', 'BOOLEAN', true), col('fallback_reason', 'VARCHAR'), col('checksum', 'BOOLEAN', true),
    col('start', 'TIMESTAMP', true), col('end', 'TIMESTAMP', true), col('duration_s', 'DOUBLE', true),
    col('packets', 'UBIGINT', true), col('subflows', 'UINTEGER', true), col('events', 'UINTEGER', true), col('findings', 'UINTEGER', true),
    ...direction('c2s'), ...direction('s2c'),
  ],
  subflows: [
    ...key, col('session', 'UINTEGER', true), col('subflow', 'UINTEGER', true), col('client', 'VARCHAR', true), col('server', 'VARCHAR', true),
    col('join', 'BOOLEAN', true), col('hmac', 'VARCHAR'), col('hmac_synack', 'VARCHAR'), col('hmac_ack', 'VARCHAR'), col('backup', 'BOOLEAN', true),
    col('client_address_id', 'UTINYINT'), col('server_address_id', 'UTINYINT'), col('handshake', 'VARCHAR', true),
    col('packets', 'UBIGINT', true), col('bytes', 'UBIGINT', true),
    col('c2s_payload_bytes', 'UBIGINT', true), col('s2c_payload_bytes', 'UBIGINT', true), col('c2s_data_bytes', 'UBIGINT', true), col('s2c_data_bytes', 'UBIGINT', true),
    col('reinjected_bytes', 'UBIGINT', true), col('retransmissions', 'UBIGINT', true), col('rtt_ms', 'DOUBLE'),
    col('ts_rtt_samples', 'UBIGINT'), col('ts_rtt_min_ms', 'DOUBLE'), col('ts_rtt_avg_ms', 'DOUBLE'),
    col('start', 'TIMESTAMP', true), col('end', 'TIMESTAMP', true), col('first_packet', 'UINTEGER', true), col('last_packet', 'UINTEGER', true),
    col('closed', 'VARCHAR', true), col('reset_reason', 'VARCHAR'),
  ],
  events: [
    ...key, col('session', 'UINTEGER', true), col('seq', 'UINTEGER', true), col('packet', 'UINTEGER', true), col('time', 'TIMESTAMP', true),
    col('time_offset_s', 'DOUBLE', true), col('type', 'VARCHAR', true), col('subflow', 'UINTEGER'), col('direction', 'VARCHAR'), col('details', 'VARCHAR'),
  ],
  findings: [
    ...key, col('seq', 'UINTEGER', true), col('session', 'UINTEGER'), col('subflow', 'UINTEGER'), col('severity', 'VARCHAR', true),
    col('code', 'VARCHAR', true), col('message', 'VARCHAR', true), col('packets', 'UINTEGER[]', true), col('count', 'UBIGINT', true),
  ],
  packets: [
    ...key, delta('number', 'UINTEGER', true, true), delta('time', 'TIMESTAMP', true, true), col('ip_version', 'UTINYINT', true),
    col('src', 'VARCHAR', true), col('sport', 'USMALLINT', true), col('dst', 'VARCHAR', true), col('dport', 'USMALLINT', true),
    col('flags', 'VARCHAR', true), distinct('seq', 'UINTEGER', true), distinct('ack', 'UINTEGER', true), distinct('window', 'USMALLINT', true),
    col('frame_length', 'UINTEGER', true), col('captured_length', 'UINTEGER', true), col('tcp_header_length', 'UTINYINT', true),
    col('payload_length', 'UINTEGER', true), col('connection', 'UINTEGER', true),
    col('session', 'UINTEGER'), col('subflow', 'UINTEGER'), col('direction', 'VARCHAR'),
    col('retransmission', 'BOOLEAN', true), col('reinjection_of', 'UINTEGER'), col('conflict_with', 'UINTEGER'),
    delta('data_seq', 'UBIGINT', false, false), distinct('data_ack_rel', 'UBIGINT'), col('checksum_valid', 'BOOLEAN'), col('findings', 'VARCHAR[]', true),
    col('mptcp_subtypes', 'VARCHAR[]', true),
    distinct('dss_data_ack', 'UBIGINT'), col('dss_data_ack_64', 'BOOLEAN'), delta('dss_dsn', 'UBIGINT', false, false), col('dss_dsn_64', 'BOOLEAN'),
    delta('dss_ssn', 'UINTEGER', false, false), col('dss_data_length', 'USMALLINT'), col('dss_checksum', 'USMALLINT'), col('dss_data_fin', 'BOOLEAN'),
  ],
  options: [
    ...key, col('packet', 'UINTEGER', true), col('index', 'UTINYINT', true), col('subtype', 'VARCHAR', true), col('length', 'UTINYINT', true),
    col('malformed', 'VARCHAR'), col('truncated', 'BOOLEAN', true), col('version', 'UTINYINT'), col('flags', 'VARCHAR'),
    col('sender_key', 'UBIGINT'), col('receiver_key', 'UBIGINT'), col('data_level_length', 'USMALLINT'), col('checksum', 'USMALLINT'),
    col('phase', 'VARCHAR'), col('backup', 'BOOLEAN'), col('address_id', 'UTINYINT'), col('receiver_token', 'UINTEGER'),
    col('sender_nonce', 'UINTEGER'), col('sender_hmac', 'VARCHAR'), col('data_ack', 'UBIGINT'), col('dsn', 'UBIGINT'),
    col('subflow_seq', 'UINTEGER'), col('data_fin', 'BOOLEAN'), col('echo', 'BOOLEAN'), col('ip_version', 'UTINYINT'),
    col('address', 'VARCHAR'), col('port', 'USMALLINT'), col('hmac', 'VARCHAR'), col('address_ids', 'UINTEGER[]'),
    col('reason', 'UTINYINT'), col('reason_name', 'VARCHAR'), col('raw', 'VARCHAR'),
  ],
} as const satisfies Record<string, readonly ColumnDef[]>;

export type TableName = keyof typeof TABLES;
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];
