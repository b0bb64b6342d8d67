/**
 * The rules of `mptcpscope check`: their identifiers, default severities and the shape of a rules file
 * (docs/check.md, docs/rules.schema.json).
 */

/** What a violated rule does: errors fail the check, warnings only with --strict, info never; ignore drops it. */
export type RuleSeverity = 'error' | 'warning' | 'info' | 'ignore';
export const RULE_SEVERITIES: readonly RuleSeverity[] = ['error', 'warning', 'info', 'ignore'];

/** Rule values that apply to a session (top level `sessions`, or a scope's `sessions`). */
export interface SessionRuleValues {
  /** Subflows established per session, at least. */
  minSubflows?: number;
  /** Subflows established per session, at most. */
  maxSubflows?: number;
  /** DSS checksums must be in use. */
  requireChecksum?: boolean;
  /** A fallback to plain TCP is expected (not a failure). */
  allowFallback?: boolean;
  /** Reinjected bytes / data-level bytes, per direction, at most. */
  maxReinjectionRatio?: number;
  /** Data-level reordering delay per direction, at most (ms). */
  maxReorderDelayMs?: { p95?: number; max?: number };
  /** The MPTCP version every session must use. */
  mptcpVersion?: 0 | 1;
}

export type SeverityOverrides = Partial<Record<string, RuleSeverity>>;

export interface ScopeMatch {
  port?: number | number[];
  /** IP addresses or CIDR prefixes. */
  address?: string | string[];
}

export interface RuleScope {
  name?: string;
  match: ScopeMatch;
  sessions?: SessionRuleValues;
  severity?: SeverityOverrides;
}

/** Rule values for a pair of captures (`check --pair A B`, evaluated by compare/check-pair.ts). */
export interface PairRuleValues {
  /** One-way delay per subflow and direction, at most (ms). */
  maxOneWayDelayMs?: { min?: number; p50?: number; p95?: number };
  /** Packets lost between the captures per subflow and direction, at most. */
  maxLostBetween?: number;
  /** Interference kinds that fail the check (compare's interference[].kind). */
  forbidInterference?: string[];
}

/** A packet-level rule: the packets a display filter selects are violations beyond the first `max`. */
export interface PacketRule {
  id: string;
  /** Wireshark display filter (docs/filters.md). */
  filter: string;
  title?: string;
  severity?: RuleSeverity;
  /** Matching packets allowed (default 0). */
  max?: number;
}

export interface Rules {
  sessions: SessionRuleValues;
  severity: SeverityOverrides;
  scopes: RuleScope[];
  pair?: PairRuleValues;
  packets: PacketRule[];
}

/** How a rule is evaluated. */
export type RuleKind =
  /** Violated by report findings with the same code. */
  | 'finding'
  /** Violated by a session property; active only when its value is set (top level or a scope). */
  | 'session'
  /** A property of the whole capture. */
  | 'capture'
  /** Applies to a pair of captures only (`check --pair`). */
  | 'pair';

export interface RuleDef {
  id: string;
  /** What passing means, e.g. "no DSS checksum mismatch". */
  title: string;
  severity: Exclude<RuleSeverity, 'ignore'>;
  kind: RuleKind;
}

/** Every rule, in the order they are reported. The ids of finding rules are the report's finding codes. */
export const RULES: readonly RuleDef[] = [
  { id: 'DSS_CHECKSUM_MISMATCH', title: 'no DSS checksum mismatch', severity: 'error', kind: 'finding' },
  { id: 'HMAC_INVALID', title: 'no invalid MP_JOIN or ADD_ADDR HMAC', severity: 'error', kind: 'finding' },
  { id: 'MP_FAIL', title: 'no MP_FAIL', severity: 'error', kind: 'finding' },
  { id: 'FALLBACK', title: 'no unexpected fallback to plain TCP', severity: 'error', kind: 'finding' },
  { id: 'DATA_CONFLICT', title: 'data-level streams consistent (no conflicting bytes)', severity: 'error', kind: 'finding' },
  { id: 'MALFORMED_OPTION', title: 'no malformed MPTCP option', severity: 'error', kind: 'finding' },
  { id: 'MAPPING_INVALID', title: 'no DSS mapping before the data-level start', severity: 'error', kind: 'finding' },
  { id: 'KEY_MISMATCH', title: 'keys do not change within a session', severity: 'error', kind: 'finding' },
  { id: 'MP_FASTCLOSE', title: 'no MP_FASTCLOSE', severity: 'warning', kind: 'finding' },
  { id: 'MP_TCPRST', title: 'no MP_TCPRST', severity: 'warning', kind: 'finding' },
  { id: 'JOIN_UNKNOWN_TOKEN', title: 'every MP_JOIN names a known token', severity: 'warning', kind: 'finding' },
  { id: 'DATA_INCOMPLETE', title: 'data-level streams complete in the capture', severity: 'warning', kind: 'finding' },
  { id: 'BUFFER_LIMIT', title: 'out-of-order data within --max-buffer', severity: 'warning', kind: 'finding' },
  { id: 'CONNECTION_LIMIT', title: 'connections within --max-connections', severity: 'warning', kind: 'finding' },
  { id: 'EVENT_LIMIT', title: 'events within --max-events', severity: 'warning', kind: 'finding' },
  { id: 'CAPTURE_TRUNCATED', title: 'the capture file is not truncated', severity: 'warning', kind: 'capture' },
  { id: 'NO_SESSION', title: 'the capture has an MPTCP session', severity: 'warning', kind: 'capture' },
  { id: 'MIN_SUBFLOWS', title: 'enough subflows per session (minSubflows)', severity: 'error', kind: 'session' },
  { id: 'MAX_SUBFLOWS', title: 'not too many subflows per session (maxSubflows)', severity: 'error', kind: 'session' },
  { id: 'CHECKSUM_REQUIRED', title: 'DSS checksums in use (requireChecksum)', severity: 'error', kind: 'session' },
  { id: 'MPTCP_VERSION', title: 'the required MPTCP version (mptcpVersion)', severity: 'error', kind: 'session' },
  { id: 'REINJECTION_RATIO', title: 'reinjection ratio within maxReinjectionRatio', severity: 'error', kind: 'session' },
  { id: 'REORDER_DELAY', title: 'data-level reordering delay within maxReorderDelayMs', severity: 'error', kind: 'session' },
  // check --pair A B (compare/check-pair.ts)
  { id: 'MIDDLEBOX_OPTION_REMOVED', title: 'no TCP/MPTCP option removed between the captures', severity: 'error', kind: 'pair' },
  { id: 'MIDDLEBOX_PAYLOAD_MODIFIED', title: 'no payload modified between the captures', severity: 'error', kind: 'pair' },
  { id: 'MIDDLEBOX_SEQUENCE_REWRITE', title: 'no sequence numbers rewritten between the captures', severity: 'warning', kind: 'pair' },
  { id: 'MIDDLEBOX_NAT', title: 'no address or port translation between the captures', severity: 'info', kind: 'pair' },
  { id: 'LOSS_BETWEEN_CAPTURES', title: 'no packet lost between the captures', severity: 'warning', kind: 'pair' },
  { id: 'CLOCKS_NOT_SYNCHRONISED', title: 'the clocks of the two captures agree (no negative delays)', severity: 'warning', kind: 'pair' },
  { id: 'ONE_WAY_DELAY', title: 'one-way delay within pair.maxOneWayDelayMs', severity: 'error', kind: 'pair' },
  { id: 'LOST_BETWEEN', title: 'loss between the captures within pair.maxLostBetween', severity: 'error', kind: 'pair' },
  { id: 'INTERFERENCE', title: 'none of the interference kinds in pair.forbidInterference', severity: 'error', kind: 'pair' },
];

export const RULE_IDS: readonly string[] = RULES.map((r) => r.id);

/** The session value that switches a 'session' rule on. */
export const SESSION_RULE_KEYS: Readonly<Record<string, keyof SessionRuleValues>> = {
  MIN_SUBFLOWS: 'minSubflows',
  MAX_SUBFLOWS: 'maxSubflows',
  CHECKSUM_REQUIRED: 'requireChecksum',
  MPTCP_VERSION: 'mptcpVersion',
  REINJECTION_RATIO: 'maxReinjectionRatio',
  REORDER_DELAY: 'maxReorderDelayMs',
};

/** The rules when no rules file is given. */
export function defaultRules(): Rules {
  return { sessions: {}, severity: {}, scopes: [], packets: [] };
}
